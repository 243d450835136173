"""``laotie sim run`` and ``laotie sim ab`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from laotie.cli import app

runner = CliRunner()
SMALL_WORLD = "[world]\ncreators = 20\nvideos = 200\nseries = 1\nnovels = 1\ngames = 5\n"


def test_sim_run_writes_a_report(clean_env: Path) -> None:
    out = clean_env / "run"
    small = clean_env / "small.toml"
    small.write_text(SMALL_WORLD, encoding="utf-8")
    result = runner.invoke(
        app,
        ["sim", "run", "--days", "2", "--users", "40", "--policy", "random", "--out", str(out),
         "--config", str(small)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!")
    days = json.loads((out / "days.json").read_text(encoding="utf-8"))
    assert len(days) == 2 and all(d["dau"] > 0 for d in days)
    assert any((out / "charts").glob("*.png"))


def _random_vs_oracle(directory: Path) -> tuple[Path, Path]:
    """Arm configs on the small world: A serves at random, B knows every user's taste."""
    arms = []
    for name in ("random", "oracle"):
        path = directory / f"{name}.toml"
        path.write_text(SMALL_WORLD + f'[run]\npolicy = "{name}"\nads = false\n', encoding="utf-8")
        arms.append(path)
    return arms[0], arms[1]


def test_sim_ab_prints_deltas(clean_env: Path) -> None:
    a, b = _random_vs_oracle(clean_env)
    result = runner.invoke(
        app,
        ["sim", "ab", str(a), str(b), "--days", "1", "--users", "40", "--resamples", "200",
         "--replicates", "1", "--out", str(clean_env / "ab"), "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    deltas = {d["kpi"]: d for d in json.loads(result.output)}
    assert deltas["watch_minutes_per_user"]["delta"] > 0
    assert deltas["watch_minutes_per_user"]["replicates"] == 1
    assert deltas["watch_minutes_per_user"]["per_seed"] == {
        "0": deltas["watch_minutes_per_user"]["delta"]
    }


def test_sim_ab_over_replicates_says_how_often_b_was_ahead(clean_env: Path) -> None:
    a, b = _random_vs_oracle(clean_env)
    result = runner.invoke(
        app,
        ["sim", "ab", str(a), str(b), "--days", "1", "--users", "30", "--resamples", "100",
         "--replicates", "2", "--out", str(clean_env / "ab")],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "means of 2 replicates, 95% t-interval across them" in result.output
    assert "arm A, seed 1: day" in result.output
    watch = next(line for line in result.output.splitlines() if "watch_minutes" in line)
    assert watch.rstrip(" │").endswith("2/2")
    assert "watch_minutes_per_user, B - A per seed: 0: +" in result.output
    refused = runner.invoke(app, ["sim", "ab", str(a), str(b), "--replicates", "0"])
    assert refused.exit_code == 2 and "--replicates" in refused.output


def test_bad_policy_is_a_clear_error(clean_env: Path) -> None:
    result = runner.invoke(app, ["sim", "run", "--policy", "best", "--out", str(clean_env / "x")])
    assert result.exit_code == 2
    assert "run.policy" in result.output


def test_a_bad_feed_override_stops_the_ab_before_either_arm_runs(clean_env: Path) -> None:
    good = clean_env / "good.toml"
    good.write_text(SMALL_WORLD, encoding="utf-8")
    bad = clean_env / "bad.toml"
    bad.write_text(SMALL_WORLD + "[run.feed.rerank]\nfresh_slots = [-1]\n", encoding="utf-8")
    out = clean_env / "ab"
    result = runner.invoke(app, ["sim", "ab", str(good), str(bad), "--out", str(out)])
    assert result.exit_code == 2
    assert "run.feed" in result.output and "rerank.fresh_slots.0" in result.output
    assert "Traceback" not in result.output
    assert not (out / "A").exists()  # arm A was not run only to fail in arm B
