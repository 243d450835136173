from pathlib import Path

import pytest

from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings, load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "settings.md"


def test_defaults_run_on_embedded_engines(settings):
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("laotie.db")
    assert settings.timezone == "Asia/Shanghai"


def test_every_setting_maps_to_an_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("LAOTIE_PORT", "9123")
    monkeypatch.setenv("LAOTIE_LOG_LEVEL", "DEBUG")
    monkeypatch.setenv("LAOTIE_DATABASE_URL", "postgresql+psycopg://u:p@db/laotie")
    loaded = load_settings(home=tmp_path)
    assert loaded.port == 9123
    assert loaded.log_level == "DEBUG"
    assert loaded.resolved_database_url == "postgresql+psycopg://u:p@db/laotie"


def test_toml_file_is_read_and_environment_wins(monkeypatch, tmp_path):
    (tmp_path / "laotie.toml").write_text('port = 8100\ntimezone = "UTC"\n')
    monkeypatch.setenv("LAOTIE_PORT", "8200")
    loaded = load_settings(home=tmp_path)
    assert loaded.port == 8200
    assert loaded.timezone == "UTC"


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("LAOTIE_PORT", "70000", "LAOTIE_PORT"),
        ("LAOTIE_TIMEZONE", "Mars/Olympus", "LAOTIE_TIMEZONE"),
        ("LAOTIE_DATABASE_URL", "mysql://x", "LAOTIE_DATABASE_URL"),
        ("LAOTIE_LOG_LEVEL", "LOUD", "LAOTIE_LOG_LEVEL"),
    ],
)
def test_bad_settings_name_the_variable(monkeypatch, tmp_path, name, value, field):
    monkeypatch.setenv(name, value)
    with pytest.raises(InvalidInput) as info:
        load_settings(home=tmp_path)
    assert info.value.field == field
    assert field in str(info.value)


def test_every_setting_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    missing = [
        f"LAOTIE_{n.upper()}" for n in Settings.model_fields if f"LAOTIE_{n.upper()}" not in text
    ]
    assert not missing, f"regenerate docs/settings.md (python -m laotie.cli.reference): {missing}"
