"""A small simulator config that runs in about a second, and a runner on a temporary home."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from laotie.sim import SimConfig, load_config


def small_config(**run: Any) -> SimConfig:
    """A world of a few hundred items and a population of ``run['users']`` (default 60)."""
    config = load_config(**{"users": 60, "days": 2, "policy": "popular", **run})
    data = config.model_dump()
    data["world"].update(
        creators=30,
        videos=300,
        series=2,
        episodes_min=30,
        episodes_max=34,
        novels=1,
        chapters_min=20,
        chapters_max=22,
        games=8,
    )
    data["run"]["ad_campaigns"] = 4
    return SimConfig.model_validate(data)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No LAOTIE_* variables leak in; returns a scratch directory."""
    import os

    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAOTIE_HOME", str(tmp_path / "home"))
    return tmp_path
