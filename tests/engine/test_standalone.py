"""A standalone Spark master and worker on loopback: ``laotie sim ab --engine spark`` runs its
replicates there with the serial run's results, and ``laotie train --engine spark`` trains."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyspark
import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import now_ms
from laotie.core.settings import load_settings
from laotie.sim import load_config
from laotie.sim.ab import run_ab
from laotie.sim.logged import logged_world
from laotie.store.repos.catalog import bulk_create_creators, bulk_create_items
from laotie.wiring import build_services

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sim"
LAOTIE = [str(Path(sys.executable).parent / "laotie")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(log: Path, text: str, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if log.exists() and text in log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not in {log} after {seconds} s:\n{log.read_text()[-2000:]}")


@pytest.fixture
def standalone(java: None, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``spark://127.0.0.1:PORT`` of a master with one 2-core worker, and the master's log."""
    spark_class = Path(pyspark.__file__).parent / "bin" / "spark-class"
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_class.parents[1]),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": str(tmp_path / "worker"),
    }
    url = f"spark://127.0.0.1:{_free_port()}"
    master_log, worker_log = tmp_path / "master.log", tmp_path / "worker.log"
    roles = [
        (
            master_log,
            [
                "org.apache.spark.deploy.master.Master",
                *("--host", "127.0.0.1", "--port", url.rsplit(":", 1)[1]),
                *("--webui-port", str(_free_port())),
            ],
        ),
        (
            worker_log,
            [
                "org.apache.spark.deploy.worker.Worker",
                *("--host", "127.0.0.1", "--cores", "2", "--memory", "3g"),
                *("--webui-port", str(_free_port()), url),
            ],
        ),
    ]
    started: list[subprocess.Popen[bytes]] = []
    try:
        for log, args in roles:
            with log.open("wb") as out:
                started.append(
                    subprocess.Popen(
                        [str(spark_class), *args], stdout=out, stderr=subprocess.STDOUT, env=env
                    )
                )
            if log is master_log:
                _wait_for(master_log, "I have been elected leader", seconds=180)
        _wait_for(master_log, "Registering worker", seconds=180)
        yield url, master_log
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            process.wait(timeout=60)


@pytest.mark.slow
@pytest.mark.servers
def test_ab_replicates_on_a_standalone_cluster_match_the_serial_run(
    standalone: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, master_log = standalone
    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    env = {**os.environ, "LAOTIE_SPARK_MASTER": url, "LAOTIE_HOME": str(tmp_path / "home")}
    arms = [str(EXAMPLES / "popular.toml"), str(EXAMPLES / "full.toml")]
    sizes = ["--days", "1", "--users", "30", "--replicates", "2"]
    out = str(tmp_path / "ab")
    done = subprocess.run(
        [*LAOTIE, "sim", "ab", *arms, *sizes, "--engine", "spark", "--json", "--out", out],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    on_spark = {row["kpi"]: row for row in json.loads(done.stdout)}
    assert "Registered app laotie-sim-ab" in master_log.read_text()

    a, b = (load_config(Path(arm), days=1, users=30) for arm in arms)
    serial = run_ab(a, b, tmp_path / "serial", replicates=2)
    for delta in serial.deltas:
        row = on_spark[delta.kpi]
        assert row["per_seed"] == pytest.approx(
            {
                str(seed): rows[serial.deltas.index(delta)].delta
                for seed, rows in zip(serial.seeds, serial.per_replicate, strict=True)
            },
            abs=1e-9,
        )
        assert (row["a"], row["b"]) == pytest.approx((delta.a, delta.b), abs=1e-9)

    home = tmp_path / "train-home"
    ingested = _home_with_recent_events(home)
    trained = subprocess.run(
        [*LAOTIE, "--home", str(home), "train", "--engine", "spark", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    summary = json.loads(trained.stdout)
    assert summary["engine"] == "spark" and summary["counts"]["events"] == ingested > 5_000
    assert "Registered app laotie-train" in master_log.read_text()


def _home_with_recent_events(home: Path) -> int:
    """A home holding a generated world's items and its events, moved to end now; the
    number of events stored."""
    world = logged_world(items=300, users=80, events=8_000, seed=5)
    services = build_services(load_settings(home=home))
    try:
        with services.db.session() as session:
            creators = sorted(set(world.items["creator_id"].to_list()))
            bulk_create_creators(
                session, creators=[CreatorCreate(id=f"c{c}", name=f"c{c}") for c in creators]
            )
            bulk_create_items(
                session,
                items=[
                    ItemCreate(
                        id=row["external_id"],
                        kind="video",
                        creator_id=f"c{row['creator_id']}",
                        title=row["title"],
                        category=row["category"],
                        duration_ms=row["duration_ms"],
                    )
                    for row in world.items.iter_rows(named=True)
                ],
            )
        shift = now_ms() - 60_000 - world.now_ms
        external = dict(zip(world.items["id"], world.items["external_id"], strict=True))
        events = [
            {
                "id": f"e{k}",
                "type": row["type"],
                "user_id": f"u{row['user_id']}",
                "item_id": external[row["item_id"]],
                "ts_ms": row["ts_ms"] + shift,
                # the generator writes 0 for "no duration"; the event log wants it absent
                **(
                    {"watch_ms": row["watch_ms"], "duration_ms": row["duration_ms"]}
                    if row["duration_ms"]
                    else {}
                ),
            }
            for k, row in enumerate(world.events.iter_rows(named=True))
        ]
        accepted = 0
        for start in range(0, len(events), 5_000):  # a batch holds at most 10,000 events
            accepted += services.events.ingest(events[start : start + 5_000]).accepted
    finally:
        services.close()
    return accepted
