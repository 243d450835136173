"""Distributed engine: Spark's training against the single-process trainer, and A/B
replicates on Spark against the serial loop, in the same run.

- **quality**: a generated world (default 2,000 items / 600 users / 60,000 events;
  ``--quick``: 600 / 150 / 20,000) split per user in time (``evaluation.split``: each user's
  last quarter of items held out); both trainers fit the same training part, and each held-out
  user's NDCG@10 is measured on the served page (the whole pipeline) and on the ALS source
  alone (the retrieval model the engine fits). Means with 95% bootstrap intervals over users,
  and the paired difference Spark - local with its interval. Training seconds of both.
- **replicates** (not with ``--quick``): ``run_ab`` of the popular and full example configs,
  30 users x 1 day, 4 replicates, serially and with ``spark_map`` on ``local[2]``; wall
  seconds, and the check that both give the same per-replicate deltas.

Spark runs ``local[2]`` here (the JVM's start is timed apart). Results go to
``benchmarks/results/engine.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.core.feedconfig import FeedConfig
from laotie.engine import spark_factorise, spark_map, spark_session
from laotie.engine.quality import hold_out, holdout_scores, mean_interval
from laotie.feed.metrics import paired_bootstrap
from laotie.sim import load_config
from laotie.sim.ab import run_ab
from laotie.sim.logged import logged_world

RESULTS = Path(__file__).resolve().parent / "results" / "engine.json"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sim"
SIZES = {False: (2_000, 600, 60_000), True: (600, 150, 20_000)}
REPLICATES = 4
console = Console()


def quality(session: Any, *, quick: bool) -> dict[str, Any]:
    """NDCG@10 of both trainers on one held-out split, and their training seconds."""
    items, users, events = SIZES[quick]
    world = logged_world(items=items, users=users, events=events, seed=1)
    held = hold_out(world)
    config = FeedConfig()
    local = holdout_scores(held, config)
    spark = holdout_scores(held, config, factorise=spark_factorise(session))
    out: dict[str, Any] = {
        "world": {"items": items, "users": users, "events": events},
        "users_evaluated": len(held.users),
        "train_seconds": {"local": local.train_seconds, "spark": spark.train_seconds},
    }
    for name in ("page", "als"):
        ours, theirs = getattr(spark, name), getattr(local, name)
        out[name] = {
            "local": mean_interval(theirs),
            "spark": mean_interval(ours),
            "spark_minus_local": paired_bootstrap(ours, theirs),
        }
    return out


def replicates(session: Any) -> dict[str, Any]:
    """Wall seconds of ``REPLICATES`` A/B replicates serially and on Spark; same deltas?"""
    arms = [load_config(EXAMPLES / f"{n}.toml", days=1, users=30) for n in ("popular", "full")]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        serial = run_ab(*arms, Path(tmp) / "serial", replicates=REPLICATES)
        serial_s = time.perf_counter() - started
        started = time.perf_counter()
        spread = run_ab(
            *arms, Path(tmp) / "spark", replicates=REPLICATES, map_replicates=spark_map(session)
        )
        spark_s = time.perf_counter() - started
    same = all(
        abs(x.delta - y.delta) < 1e-9
        for xs, ys in zip(serial.per_replicate, spread.per_replicate, strict=True)
        for x, y in zip(xs, ys, strict=True)
    )
    return {
        "replicates": REPLICATES,
        "serial_s": round(serial_s, 1),
        "spark_s": round(spark_s, 1),
        "ratio": round(serial_s / spark_s, 2),
        "same_deltas": same,
    }


def _interval(values: tuple[float, float, float]) -> str:
    mean, low, high = values
    return f"{mean:.4f} [{low:.4f}, {high:.4f}]"


def run(*, quick: bool = False) -> dict[str, Any]:
    """Run the benchmark, print the tables and write ``results/engine.json``."""
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "machine": hardware(),
        "quick": quick,
    }
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as work,
        spark_session("local[2]", work_dir=Path(work), app_name="laotie-bench-engine") as session,
    ):
        result["spark_start_s"] = round(time.perf_counter() - started, 1)
        result["quality"] = quality(session, quick=quick)
        if not quick:
            result["ab_replicates"] = replicates(session)
    q = result["quality"]
    table = Table(title=f"NDCG@10, {q['users_evaluated']} held-out users (95% bootstrap CI)")
    for column in ("measured on", "local (implicit ALS)", "spark (MLlib ALS)", "spark - local"):
        table.add_column(column)
    for name, label in (("page", "served page"), ("als", "ALS source alone")):
        row = q[name]
        table.add_row(
            label,
            _interval(row["local"]),
            _interval(row["spark"]),
            _interval(row["spark_minus_local"]),
        )
    console.print(table)
    seconds = q["train_seconds"]
    console.print(
        f"training: local {seconds['local']:.1f} s, spark {seconds['spark']:.1f} s "
        f"(ratio {seconds['spark'] / seconds['local']:.2f}); JVM start {result['spark_start_s']} s"
    )
    if "ab_replicates" in result:
        ab = result["ab_replicates"]
        console.print(
            f"sim ab, {ab['replicates']} replicates: serial {ab['serial_s']} s, spark local[2] "
            f"{ab['spark_s']} s (ratio {ab['ratio']}); same deltas: {ab['same_deltas']}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2))
    return result
