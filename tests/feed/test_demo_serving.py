"""After ``laotie demo`` the model that served the simulation's last day is the served one."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from laotie.cli import app
from laotie.feed.bundle import current_version
from laotie.feed.service import INSPECTION_WARNING, NO_MODEL_WARNING


def test_feed_after_demo_serves_the_demo_model(tmp_path: Path) -> None:
    runner = CliRunner()
    home = tmp_path / "h"
    demo = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "demo",
            "--no-serve",
            "--users",
            "12",
            "--items",
            "40",
            "--days",
            "2",
        ],
    )
    assert demo.exit_code == 0, demo.output
    simulated = current_version(home / "models" / "feed-sim")
    assert simulated is not None and current_version(home / "models" / "feed") == simulated
    shown = runner.invoke(app, ["--home", str(home), "feed", "anyone", "-n", "5", "--json"])
    assert shown.exit_code == 0, shown.output
    page = json.loads(shown.output)
    assert page["model_version"] == simulated
    assert NO_MODEL_WARNING not in page["warnings"] and INSPECTION_WARNING in page["warnings"]
