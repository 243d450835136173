"""Feed speed: in-process latency, HTTP throughput, and training time, each against a peer.

A generated world (200,000 items, 20,000 users, 2,000,000 events; ``--quick``: 5,000 / 1,000 /
50,000) is loaded into a fresh home through the public repositories and the event log, and
compacted into the Parquet lake. Then, in the same run:

- ``laotie train`` (``FeedService.train``: read the lake, every source, the ranker, save,
  swap) against the bare fits it contains: implicit ALS on the same matrix plus LightGBM on
  the same rows with the same parameters;
- in-process ``FeedService.feed(user, n=20)`` p50/p99 (>= 500 candidates ranked) against the
  bare work at its core: one ANN query for 500 items plus the ranker's predictions for the
  request's candidates;
- HTTP: uvicorn (``WORKERS`` processes) serving the laotie app on 127.0.0.1, 16 concurrent
  clients, feeds/s and p99.

Floors on the reference machine: p99 <= 25 ms, HTTP >= 200 feeds/s, train <= 1.3x bare fits.
Results go to ``benchmarks/results/feed.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import polars as pl
from _loadgen import run_load
from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY, now_ms
from laotie.core.kinds import ItemKind
from laotie.core.settings import load_settings
from laotie.feed.signals import FeedData
from laotie.sim.logged import logged_world
from laotie.store.repos import access, catalog
from laotie.wiring import Services, build_services

RESULTS = Path(__file__).resolve().parent / "results" / "feed.json"
#: uvicorn worker processes of the HTTP run (one per core of the reference machine)
WORKERS = 2
FLOOR_P99_MS = 25.0
FLOOR_HTTP_PER_S = 200.0
FLOOR_TRAIN_RATIO = 1.3
SIZES = {False: (200_000, 20_000, 2_000_000), True: (5_000, 1_000, 50_000)}
console = Console()


def load_home(services: Services, world: FeedData) -> dict[str, float]:
    """Put ``world`` into the home: creators, series/novels, items, events, lake compaction."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    items = world.items
    creators = sorted(set(items["creator_id"].to_list()))
    containers: dict[ItemKind, list[ContainerCreate]] = {ItemKind.EPISODE: [], ItemKind.CHAPTER: []}
    for kind, column, prefix in (
        (ItemKind.EPISODE, "series_id", "s"),
        (ItemKind.CHAPTER, "novel_id", "n"),
    ):
        firsts = (
            items.filter(pl.col(column).is_not_null())
            .group_by(column)
            .agg(pl.col("creator_id").first(), pl.col("category").first())
            .sort(column)
        )
        containers[kind] = [
            ContainerCreate(
                id=f"{prefix}{cid}",
                creator_id=f"c{creator}",
                title=f"{prefix}{cid}",
                category=category,
            )
            for cid, creator, category in firsts.iter_rows()
        ]
    with services.db.session() as session:
        catalog.bulk_create_creators(
            session, creators=[CreatorCreate(id=f"c{c}", name=f"c{c}") for c in creators]
        )
        for kind, rows in containers.items():
            if rows:
                catalog.bulk_create_containers(session, kind=kind, containers=rows)
    creates = [
        ItemCreate(
            id=row["external_id"],
            kind=row["kind"],
            creator_id=f"c{row['creator_id']}",
            parent_id=(
                f"s{row['series_id']}"
                if row["series_id"] is not None
                else f"n{row['novel_id']}"
                if row["novel_id"] is not None
                else None
            ),
            position=row["position"],
            title=row["title"],
            category=row["category"],
            duration_ms=min(int(row["duration_ms"]), 24 * 3_600_000),
            aigc_status=row["aigc_status"],
            created_at_ms=int(row["created_at_ms"]),
        )
        for row in items.iter_rows(named=True)
    ]
    for start in range(0, len(creates), 20_000):
        with services.db.session() as session:
            catalog.bulk_create_items(session, items=creates[start : start + 20_000])
    timings["catalog_s"] = time.perf_counter() - started
    started = time.perf_counter()
    events = world.events.with_columns(
        (pl.lit("e") + pl.int_range(pl.len()).cast(pl.String)).alias("id"),
        (pl.lit("u") + pl.col("user_id").cast(pl.String)).alias("user_id"),
        (pl.lit("i") + pl.col("item_id").cast(pl.String)).alias("item_id"),
    )
    for batch in events.iter_slices(10_000):
        rows = [
            {
                k: v
                for k, v in row.items()
                if v is not None
                and not (k in ("watch_ms", "duration_ms") and row["type"] != "watch")
                and k != "value"
            }
            for row in batch.to_dicts()
        ]
        result = services.events.ingest(rows)
        if result.rejected:
            raise RuntimeError(f"ingest rejected {result.rejected}: {result.errors[:3]}")
    timings["ingest_s"] = time.perf_counter() - started
    started = time.perf_counter()
    services.lake.compact(world.now_ms + MS_PER_DAY)
    timings["compact_s"] = time.perf_counter() - started
    return timings


def bare_fits(inputs: dict[str, Any], *, als_params: dict[str, Any]) -> dict[str, float]:
    """Seconds of a bare implicit ALS fit and bare LightGBM fits on the training's own inputs."""
    import lightgbm as lgb
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(**als_params)
        started = time.perf_counter()
        model.fit(inputs["als_matrix"], show_progress=False)
        als_s = time.perf_counter() - started
    ranker = inputs["ranker"]["ranker"]
    features = inputs["ranker"]["features"]
    started = time.perf_counter()
    leaf = ranker.capacity(len(features))["min_data_in_leaf"]
    labels = inputs["ranker"]["labels"]
    shared = lgb.Dataset(  # one binned dataset for the binary objectives, as the ranker does
        features, params={"verbosity": -1, "min_data_in_leaf": leaf}, free_raw_data=False
    ).construct()
    for objective in ranker.models_:
        params = ranker.params(objective, rows=len(features))
        if objective in labels:
            shared.set_label(labels[objective].astype(float))
            lgb.train(params, shared, num_boost_round=ranker.n_estimators)
        else:  # watch_quantile: a continuous target over the played rows
            played = features[labels["play"].astype(bool)]
            target = np.random.default_rng(0).random(len(played))
            dataset = lgb.Dataset(
                played, label=target, params={"verbosity": -1, "min_data_in_leaf": leaf}
            )
            lgb.train(params, dataset, num_boost_round=ranker.n_estimators)
    lgb_s = time.perf_counter() - started
    return {"als_s": als_s, "lightgbm_s": lgb_s}


def in_process(services: Services, users: list[str], *, requests: int) -> dict[str, float]:
    """p50/p99 of FeedService.feed(n=20) and of the bare ANN + predict for the same requests."""
    feed = services.feed
    rng = np.random.default_rng(1)
    picks = [users[i] for i in rng.integers(0, len(users), requests)]
    for user in picks[:20]:
        feed.feed(user, n=20)
    latencies, candidates, bare = [], [], []
    serving = feed.served.state  # the benchmark reaches in to time the bare parts on the same state
    pipeline = serving.pipeline
    als = pipeline.als
    for user in picks:
        started = time.perf_counter()
        page = feed.feed(user, n=20)
        latencies.append(time.perf_counter() - started)
        candidates.append(page.candidates)
        internal = feed.resolve_user(user)
        ids, _, _ = pipeline.retrieve(internal if internal is not None else -1)
        features = pipeline.features(
            internal if internal is not None else -1, ids, np.empty(0, np.int64)
        )
        vectors, _ = als.user_vectors(np.array([internal if internal is not None else 0]))
        started = time.perf_counter()
        als._index.search(vectors, 500)
        serving.bundle.ranker.predict(features)
        bare.append(time.perf_counter() - started)
    feed.flush()
    ms = np.array(latencies) * 1000
    bare_ms = np.array(bare) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_candidates": float(np.mean(candidates)),
        "min_candidates": float(np.min(candidates)),
        "bare_p50_ms": float(np.percentile(bare_ms, 50)),
        "bare_p99_ms": float(np.percentile(bare_ms, 99)),
        "requests": requests,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http(
    home: Path, key: str, users: list[str], *, seconds: float, concurrency: int = 16
) -> dict[str, float]:
    """Feeds/s and p99 of GET /v1/feed/{user} against uvicorn subprocesses on loopback."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LAOTIE_HOME": str(home), "LAOTIE_LOG_LEVEL": "WARNING"}
    log_path = home / "serve.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "_feed_app:app",
                "--app-dir",
                str(Path(__file__).resolve().parent),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                if server.poll() is not None:
                    raise RuntimeError(f"uvicorn exited: {log_path.read_text()[-2000:]}")
                try:
                    if (
                        httpx.get(
                            f"{base}/v1/feed/{users[0]}?n=20",
                            headers={"Authorization": f"Bearer {key}"},
                            timeout=60,
                        ).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError("uvicorn did not answer within 120 s")
                time.sleep(0.3)
            return asyncio.run(_load(base, key, users, seconds=seconds, concurrency=concurrency))
        finally:
            server.terminate()
            server.wait(timeout=30)


async def _load(
    base: str, key: str, users: list[str], *, seconds: float, concurrency: int
) -> dict[str, float]:
    rng = np.random.default_rng(2)
    picks = [users[i] for i in rng.integers(0, len(users), 1 << 16)]
    result = await run_load(
        base,
        lambda i: f"/v1/feed/{picks[i % len(picks)]}?n=20",
        headers={"Authorization": f"Bearer {key}"},
        seconds=seconds,
        concurrency=concurrency,
        check=lambda page: len(page.get("entries", ())) > 0,
        warmup_s=10,  # not timed: both worker processes load the model (seconds) and serve
    )
    ms = np.array(result.latencies) * 1000
    return {
        "feeds_per_s": len(result.latencies) / result.elapsed_s,
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "requests": len(result.latencies),
        "errors": result.errors,
        "concurrency": concurrency,
    }


def run_processes(
    home: Path, key: str, users: list[str], processes: list[int], *, seconds: float
) -> dict[str, Any]:
    """Feeds/s of ``laotie serve --workers N`` on the trained home for each N in
    ``processes``; CPU seconds per process and the ratio to one process."""
    from _processes import measure, print_runs, serve, with_ratios

    headers = {"Authorization": f"Bearer {key}"}
    runs: dict[int, dict[str, Any]] = {}
    for workers in processes:

        def load(base: str) -> tuple[int, float]:
            done = asyncio.run(_load(base, key, users, seconds=seconds, concurrency=16))
            if done["errors"]:
                raise RuntimeError(f"{done['errors']} feed requests failed")
            return int(done["requests"]), done["requests"] / done["feeds_per_s"]

        path = f"/v1/feed/{users[0]}?n=20"
        with serve(home, workers=workers, ready_path=path, headers=headers) as served:
            runs[workers] = measure(served, load)
    result = {
        "benchmark": "feed",
        "scale_out": True,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "seconds_per_run": seconds,
        "concurrency": 16,
        "runs": with_ratios(runs),
    }
    print_runs(
        f"feed over HTTP, 16 connections, {seconds:.0f} s a run (after a 10 s warm-up); "
        f"{result['hardware']}; load {result['load_average_1m']}",
        "feeds",
        result["runs"],
    )
    path_out = RESULTS.with_name("feed-processes.json")
    path_out.parent.mkdir(parents=True, exist_ok=True)
    path_out.write_text(json.dumps(result, indent=2))
    return result


def run(quick: bool = False, processes: list[int] | None = None) -> dict[str, Any]:
    """Run the benchmark; prints a table and writes ``benchmarks/results/feed.json``; with
    ``processes``, the scale-out runs on the trained home instead (``run_processes``)."""
    n_items, n_users, n_events = SIZES[quick]
    reuse = os.environ.get("LAOTIE_BENCH_FEED_HOME")  # a home an earlier run loaded
    if reuse and (Path(reuse) / "bench-world.json").is_file():
        home = Path(reuse)
        described = json.loads((home / "bench-world.json").read_text())
        os.environ["LAOTIE_HOME"] = str(home)
        services = build_services(load_settings(home=home))
        world_now, world_events, load = (
            described["now_ms"],
            described["events"],
            described["load_s"],
        )
    else:
        world = logged_world(
            now_ms=(now_ms() // 3_600_000) * 3_600_000,  # current for the system clock
            items=n_items,
            users=n_users,
            events=n_events,
            days=14,
            seed=0,
        )
        home = Path(tempfile.mkdtemp(prefix="laotie-bench-feed-")) / "home"
        os.environ["LAOTIE_HOME"] = str(home)
        services = build_services(load_settings(home=home))
        load = load_home(services, world)
        world_now, world_events = world.now_ms, world.events.height
        (home / "bench-world.json").write_text(
            json.dumps({"now_ms": world_now, "events": world_events, "load_s": load})
        )
    users = [f"u{u}" for u in range(1, n_users + 1)]
    started = time.perf_counter()
    report = services.feed.train(now_ms=world_now, keep_inputs=True)
    train_s = time.perf_counter() - started
    if processes:
        with services.db.session() as session:
            key, _ = access.create_key(session, role="app")
        services.close()
        return run_processes(home, key, users, processes, seconds=5 if quick else 20)
    als = services.feed.served.state.bundle.sources["als"]
    als_params = {
        k: getattr(als, k)
        for k in ("factors", "regularization", "alpha", "iterations", "num_threads", "random_state")
    }
    bare = bare_fits(report.inputs or {}, als_params=als_params)
    latency = in_process(services, users, requests=300 if quick else 2000)
    console.print(f"in process: {json.dumps({k: round(v, 2) for k, v in latency.items()})}")
    with services.db.session() as session:
        key, _ = access.create_key(session, role="app")
    services.close()
    web = http(home, key, users, seconds=5 if quick else 30)
    bare_total = bare["als_s"] + bare["lightgbm_s"]
    result = {
        "benchmark": "feed",
        "quick": quick,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "world": {"items": n_items, "users": n_users, "events": world_events, "home": str(home)},
        "load_s": {k: round(v, 2) for k, v in load.items()},
        "train": {
            "train_s": round(train_s, 2),
            **{k: round(v, 2) for k, v in bare.items()},
            "ratio_vs_bare_fits": round(train_s / bare_total, 3),
            "stages_s": report.timings,
            "floor_ratio": FLOOR_TRAIN_RATIO,
        },
        "in_process": {
            **{k: round(v, 3) for k, v in latency.items()},
            "ratio_p50_vs_bare": round(latency["p50_ms"] / latency["bare_p50_ms"], 2),
            "floor_p99_ms": FLOOR_P99_MS,
        },
        "http": {
            **{k: round(v, 2) for k, v in web.items()},
            "workers": WORKERS,
            "floor_feeds_per_s": FLOOR_HTTP_PER_S,
        },
        "metrics": report.metrics,
    }
    table = Table(
        title=f"laotie bench feed ({'quick' if quick else 'full'}) on {result['hardware']}"
    )
    for column in ("measure", "laotie", "peer", "ratio", "floor"):
        table.add_column(column)
    t, p, h = result["train"], result["in_process"], result["http"]
    table.add_row(
        "train (s)",
        f"{t['train_s']:.1f}",
        f"bare ALS+LightGBM {t['als_s'] + t['lightgbm_s']:.1f}",
        f"{t['ratio_vs_bare_fits']:.2f}x",
        f"<= {FLOOR_TRAIN_RATIO}x",
    )
    table.add_row(
        "feed p50 (ms)",
        f"{p['p50_ms']:.2f}",
        f"ANN+predict {p['bare_p50_ms']:.2f}",
        f"{p['ratio_p50_vs_bare']:.2f}x",
        "",
    )
    table.add_row(
        "feed p99 (ms)",
        f"{p['p99_ms']:.2f}",
        f"ANN+predict {p['bare_p99_ms']:.2f}",
        "",
        f"<= {FLOOR_P99_MS}",
    )
    table.add_row(
        "candidates ranked",
        f"{p['mean_candidates']:.0f} (min {p['min_candidates']:.0f})",
        "",
        "",
        ">= 500",
    )
    table.add_row(
        "HTTP feeds/s (c=16)", f"{h['feeds_per_s']:.0f}", "", "", f">= {FLOOR_HTTP_PER_S:.0f}"
    )
    table.add_row("HTTP p99 (ms)", f"{h['p99_ms']:.1f}", "", "", "")
    console.print(table)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str))
    return result
