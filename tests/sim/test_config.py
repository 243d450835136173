"""Config: TOML sections override defaults; bad values name the field; docs list every key."""

from __future__ import annotations

from pathlib import Path

import pytest

import laotie.sim
from laotie.core.errors import InvalidInput
from laotie.sim.config import load_config, reference_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sim"


def test_toml_overrides_and_run_arguments(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text('[world]\naigc_label_rate = 0.2\n[run]\npolicy = "random"\n[run.feed.als]\n'
                    "enabled = false\n", encoding="utf-8")  # fmt: skip
    config = load_config(path, users=40)
    assert config.world.aigc_label_rate == 0.2
    assert config.world.videos == 2500  # untouched default
    assert config.run.policy == "random" and config.run.users == 40
    assert config.run.feed == {"als": {"enabled": False}}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[world]\nvideos = -1\n", "world.videos"),
        ("[run]\npolicy = 'magic'\n", "run.policy"),
        ("[users]\nactivity_shares = [0.5, 0.5, 0.5, 0.5]\n", "users"),
        ("[world]\nno_such_key = 1\n", "world.no_such_key"),
        ("[world\n", "config"),
        ("[run.feed.training]\nseed = 1\n", "run.feed"),
        ("[run.feed.rerank]\ncreator_cap = 0\n", "run.feed"),
    ],
)
def test_bad_config_names_the_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_config(path)
    assert err.value.field == field


def test_example_configs_load() -> None:
    names = sorted(p.name for p in EXAMPLES.glob("*.toml"))
    assert {"full.toml", "popular.toml"} <= set(names)
    for path in EXAMPLES.glob("*.toml"):
        load_config(path)


def test_every_parameter_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert reference_markdown() in text, "regenerate the reference in docs/simulator.md"


def test_public_face_matches_the_public_names() -> None:
    import types

    public = {
        name
        for name, value in vars(laotie.sim).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(laotie.sim.__all__) == public
    assert len(laotie.sim.__all__) == len(public)
