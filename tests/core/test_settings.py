from pathlib import Path

import pytest

from laotie.core.errors import InvalidInput
from laotie.core.feedconfig import FeedConfig
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


@pytest.fixture
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize(
    ("file", "env", "explicit", "wanted"),
    [
        (None, None, None, 8000),  # the default
        (8100, None, None, 8100),  # file over default
        (8100, "8200", None, 8200),  # environment over file
        (8100, "8200", 8300, 8300),  # explicit over environment
        (None, None, 8300, 8300),
    ],
)
def test_one_precedence_for_a_flat_setting(clean_env, tmp_path, file, env, explicit, wanted):
    if file is not None:
        (tmp_path / "laotie.toml").write_text(f"port = {file}\n")
    if env is not None:
        clean_env.setenv("LAOTIE_PORT", env)
    given = {"port": explicit} if explicit is not None else {}
    assert load_settings(home=tmp_path, **given).port == wanted


@pytest.mark.parametrize(
    ("file", "env", "explicit", "wanted"),
    [
        (None, None, None, 64),
        (16, None, None, 16),
        (16, "24", None, 24),
        (16, "24", 8, 8),
        (None, "24", 8, 8),
    ],
)
def test_the_same_precedence_for_the_feed_section(clean_env, tmp_path, file, env, explicit, wanted):
    if file is not None:
        (tmp_path / "laotie.toml").write_text(f"[feed.als]\nfactors = {file}\n")
    if env is not None:
        clean_env.setenv("LAOTIE_FEED_ALS__FACTORS", env)
    given = {"feed": {"als": {"factors": explicit}}} if explicit is not None else {}
    loaded = load_settings(home=tmp_path, **given)
    assert loaded.feed.als.factors == wanted
    assert loaded.feed.als.quota == FeedConfig().als.quota  # a key merged, not a section replaced


def test_laotie_config_names_another_file(clean_env, tmp_path):
    other = tmp_path / "elsewhere.toml"
    other.write_text('timezone = "UTC"\n[feed.serving]\nseed = 7\n')
    clean_env.setenv("LAOTIE_CONFIG", str(other))
    loaded = load_settings(home=tmp_path / "home")
    assert (loaded.timezone, loaded.feed.serving.seed) == ("UTC", 7)


def test_no_module_but_the_loader_reads_the_environment():
    import re

    src = Path(__file__).resolve().parents[2] / "src" / "laotie"
    # a plain assignment (engine/spark.py hands its executors this interpreter) is no reading
    assignment = re.compile(r'os\.environ\["\w+"\] = [^\n]*$', re.MULTILINE)
    readers = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if re.search(r"os\.environ|getenv\(", assignment.sub("", path.read_text(encoding="utf-8")))
    ]
    assert sorted(readers) == ["core/settings.py"]
