"""The feed configuration: reference file, environment variables, TOML, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laotie.core.errors import InvalidInput
from laotie.core.feedconfig import FeedConfig, env_names, reference_toml
from laotie.core.settings import load_settings

REFERENCE = Path(__file__).resolve().parents[2] / "src" / "laotie" / "feed" / "reference.toml"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)


def test_reference_file_states_every_default() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == reference_toml()
    text = reference_toml()
    for key, env in env_names().items():
        assert env in text, key
    import tomllib

    parsed = FeedConfig(**tomllib.loads(text)["feed"])
    assert parsed == FeedConfig()


def _value(config: FeedConfig, dotted: str) -> object:
    value: object = config
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


def _changed(default: object) -> object:
    if isinstance(default, bool):
        return not default
    if isinstance(default, int):
        return default + 1
    if isinstance(default, float):
        return default / 2 if default else 0.5
    if isinstance(default, list):
        return [1]
    if default == "auto":  # ranker.label_split
        return "user"
    raise AssertionError(f"no test value for {default!r}")


def test_every_key_maps_to_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    defaults = FeedConfig()
    for key, env in env_names().items():
        wanted = _changed(_value(defaults, key))
        monkeypatch.setenv(env, wanted if isinstance(wanted, str) else json.dumps(wanted))
        assert _value(load_settings(home=tmp_path).feed, key) == wanted, (key, env)
        monkeypatch.delenv(env)


def test_toml_section_and_environment_precedence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "laotie.toml").write_text("[feed.als]\nfactors = 16\nquota = 50\n")
    assert load_settings(home=tmp_path).feed.als.factors == 16
    monkeypatch.setenv("LAOTIE_FEED_ALS__FACTORS", "24")
    config = load_settings(home=tmp_path).feed
    assert config.als.factors == 24 and config.als.quota == 50
    # an explicit value wins over the environment (the opposite of the old feed config)
    explicit = load_settings(home=tmp_path, feed={"als": {"factors": 8}}).feed
    assert (explicit.als.factors, explicit.als.quota) == (8, 50)


def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAOTIE_FEED_RERANK__CREATOR_CAP", "0")
    with pytest.raises(InvalidInput) as error:
        load_settings(home=tmp_path)
    assert error.value.field == "LAOTIE_FEED_RERANK__CREATOR_CAP"


def test_docs_list_every_setting() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "feed.md").read_text(encoding="utf-8")
    missing = [env for env in env_names().values() if env not in docs]
    assert not missing, f"docs/feed.md lacks {missing}"
