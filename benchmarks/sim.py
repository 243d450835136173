"""Simulator speed: simulated impressions per second, the model alone and through the services.

1. The behaviour model (``simulate_page``, vectorised over a page) against the same model
   written as a plain per-impression Python loop in the same run (the peer); both consume
   the same random draws and must agree on every outcome.
2. End to end on the real services (event log, lake, ads, trust): a run with the reference
   ``popular`` policy, and one with the real feed (``FeedService.feed`` per page + nightly
   ``train``) when the feed is wired in.
3. Unless ``--quick``: the default ``laotie demo --no-serve``, timed (the issue's bar: <= 3 min).

Run it with ``laotie bench sim``; results go to ``benchmarks/results/sim.json``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.core.clock import ManualClock
from laotie.sim import (
    BehaviourConfig,
    UserConfig,
    WorldConfig,
    generate_population,
    generate_world,
    simulate_page,
)
from laotie.sim.ab import default_services
from laotie.sim.behaviour import DRAWS_PER_SLOT
from laotie.sim.config import load_config
from laotie.sim.runner import Simulation, start_ms_of

RESULTS = Path(__file__).resolve().parent / "results" / "sim.json"
DEMO_FLOOR_S = 180.0


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def scalar_page(cfg: BehaviourConfig, pop: Any, world: Any, user: int, items: np.ndarray,
                seen_before: int, rng: np.random.Generator) -> list[tuple[bool, int]]:  # fmt: skip
    """The peer: ``simulate_page``'s model one impression at a time in plain Python."""
    n = len(items)
    draws = rng.random((n, DRAWS_PER_SLOT)).tolist()
    means = []
    for item in items.tolist():
        minutes = world.duration_ms[item] / 60_000.0
        aff = float(pop.interests[user, world.category[item]])
        m = _sig(cfg.watch_intercept + cfg.watch_affinity * aff
                 + cfg.watch_quality * float(world.quality[item])
                 - cfg.watch_duration * math.log(max(minutes, 1e-3)))  # fmt: skip
        means.append(min(max(m, 1e-3), 1 - 1e-3))
    k = cfg.watch_concentration
    fractions = rng.beta(np.array(means) * k, (1 - np.array(means)) * k).tolist()
    out: list[tuple[bool, int]] = []
    for j, item in enumerate(items.tolist()):
        aff = float(pop.interests[user, world.category[item]])
        pref = float(pop.kind_pref[user, world.kind[item]])
        logit = (cfg.play_intercept + cfg.play_affinity * aff
                 + cfg.play_quality * float(world.quality[item])
                 + cfg.play_kind * math.log(max(pref, 1e-3))
                 + cfg.aigc_labelled_play * float(pop.aigc_sensitivity[user])
                 * bool(world.labelled[item])
                 - cfg.play_position * j - cfg.play_fatigue * (seen_before + j))  # fmt: skip
        engaged = draws[j][0] < _sig(logit)
        fraction = fractions[j]
        if engaged and fraction >= cfg.complete_fraction:
            fraction = 1.0
        duration = int(world.duration_ms[item])
        watch = fraction * duration if engaged else min(300 + draws[j][8] * 2_700, duration)
        out.append((engaged, min(round(watch), duration)))
        fatigue = (seen_before + j + 1) / float(pop.patience[user])
        leave = _sig(cfg.leave_intercept + cfg.leave_skip * (not engaged)
                     + cfg.leave_fatigue * fatigue)  # fmt: skip
        if draws[j][6] < leave:
            break
    return out


def model_speed(pages: int) -> dict[str, Any]:
    """Impressions/s of the vectorised model and of the scalar peer on the same pages."""
    world = generate_world(WorldConfig(), days=5, start_ms=1_767_542_400_000,
                           rng=np.random.default_rng(0))  # fmt: skip
    pop = generate_population(UserConfig(), n_users=1000, category_first=world.category_first,
                              rng=np.random.default_rng(1))  # fmt: skip
    cfg = BehaviourConfig()
    pick = np.random.default_rng(2)
    jobs = [(int(pick.integers(1000)), pick.choice(world.n_items, 10, replace=False))
            for _ in range(pages)]  # fmt: skip
    rngs = [np.random.default_rng([9, k]) for k in range(pages)]
    t0 = time.perf_counter()
    vec = [simulate_page(cfg, pop, world, user=u, items=it, seen_before=5, rng=r)
           for (u, it), r in zip(jobs, rngs, strict=True)]  # fmt: skip
    t_vec = time.perf_counter() - t0
    rngs = [np.random.default_rng([9, k]) for k in range(pages)]
    t0 = time.perf_counter()
    peer = [scalar_page(cfg, pop, world, u, it, 5, r)
            for (u, it), r in zip(jobs, rngs, strict=True)]  # fmt: skip
    t_peer = time.perf_counter() - t0
    for v, p in zip(vec, peer, strict=True):
        assert [(bool(e), int(w)) for e, w in zip(v.engaged, v.watch_ms, strict=True)] == p
    shown = sum(v.seen for v in vec)
    return {
        "pages": pages,
        "impressions": shown,
        "vectorised_impressions_per_s": shown / t_vec,
        "scalar_loop_impressions_per_s": shown / t_peer,
        "speedup": t_peer / t_vec,
    }


def end_to_end(policy: str, users: int, days: int) -> dict[str, Any]:
    """One run on the real services in a temporary home; impressions/s of the whole loop."""
    config = load_config(users=users, days=days, policy=policy)
    with tempfile.TemporaryDirectory() as tmp:
        services = default_services(Path(tmp), ManualClock(start_ms_of(config)))
        try:
            if policy == "feed" and getattr(services, "feed", None) is None:
                return {"policy": policy, "skipped": "no feed service wired"}
            t0, c0 = time.perf_counter(), time.process_time()
            result = Simulation(config, services).run()
            elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        finally:
            services.close()
    shown = sum(d.impressions for d in result.days)
    return {
        "policy": policy,
        "users": users,
        "days": days,
        "impressions": shown,
        "requests": sum(d.requests for d in result.days),
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "impressions_per_s": shown / elapsed,
        "impressions_per_cpu_s": shown / cpu,
    }


def demo_time() -> dict[str, Any]:
    """Wall time of the default ``laotie demo --no-serve`` in a fresh home."""
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(
            [str(Path(sys.executable).parent / "laotie"), "--home", str(Path(tmp) / "h"), "demo",
             "--no-serve"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "load_average_1m": os.getloadavg()[0],
        "exit_code": done.returncode,
        "floor_s": DEMO_FLOOR_S,
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Measure, print a table, write ``benchmarks/results/sim.json``."""
    console = Console()
    model = model_speed(300 if quick else 3000)
    runs = [end_to_end("popular", 100 if quick else 400, 2 if quick else 3)]
    runs.append(end_to_end("feed", 100 if quick else 400, 2 if quick else 3))
    demo = None if quick else demo_time()
    result = {
        "area": "sim",
        "quick": quick,
        "hardware": hardware(),
        "python": platform.python_version(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": model,
        "end_to_end": runs,
        "demo": demo,
    }
    table = Table(title="laotie bench sim")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("peer / note", justify="right")
    table.add_row(
        "behaviour model, impressions/s",
        f"{model['vectorised_impressions_per_s']:,.0f}",
        f"scalar loop {model['scalar_loop_impressions_per_s']:,.0f} ({model['speedup']:.1f}x)",
    )
    for r in runs:
        if "skipped" in r:
            table.add_row(f"end to end ({r['policy']})", "—", r["skipped"])
            continue
        table.add_row(
            f"end to end ({r['policy']}), impressions/s",
            f"{r['impressions_per_s']:,.0f}",
            f"{r['users']} users x {r['days']} days, {r['requests']:,} requests, "
            f"{r['seconds']:.0f} s ({r['cpu_seconds']:.0f} s CPU)",
        )
    if demo is not None:
        table.add_row(
            "laotie demo --no-serve, s",
            f"{demo['seconds']:.0f}",
            f"{demo['cpu_seconds']:.0f} s CPU, load {demo['load_average_1m']:.1f}; "
            f"floor {DEMO_FLOOR_S:.0f} s, exit {demo['exit_code']}",
        )
    console.print(table)
    console.print(f"hardware: {result['hardware']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result
