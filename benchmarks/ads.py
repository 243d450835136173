"""Ads auction speed: auctions/s with 10,000 active campaigns, vectorised vs a plain loop.

One auction = one ad slot of one feed request: targeting lookup over every active campaign,
schedule/budget/balance checks, pacing throttle, frequency caps, pCTR/pCVR for the
candidates, eCPM x quality ranking and GSP pricing (``Server.fill`` with one slot, which also
books the placement for charging). The peer scores the same candidates in the same run with
a plain Python loop over campaigns (numpy scalars, the same model and formulas), and both
must pick the same winner at the same price.

Run it with ``laotie bench ads`` (``--quick`` for a smoke run); results go to
``benchmarks/results/ads.json``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.ads import ResponseModel, gsp
from laotie.ads.auction import CPM, OCPC, bid_ecpm
from laotie.ads.index import (
    QUALITY_BOUNDS,
    QUALITY_EXPONENT,
    CampaignSpec,
    CreativeSpec,
    ServingIndex,
)
from laotie.ads.schemas import Objective
from laotie.ads.serving import Server
from laotie.ads.targeting import category_prefixes
from laotie.core.contracts import AdRequest

CAMPAIGNS = 10_000
FLOOR_AUCTIONS_PER_S = 5_000
RESERVE_ECPM = 100.0
T0_MS = 1_795_900_000_000
RESULTS = Path(__file__).resolve().parent / "results" / "ads.json"
TOP = ["美食", "美妆", "游戏", "汽车", "旅游", "母婴", "数码", "服饰", "教育", "健身"]
CATEGORIES = [f"{t}/{s}" for t in TOP for s in ("入门", "进阶", "测评", "好物", "日常")]
REGIONS = [f"r{i}" for i in range(30)]
SEGMENTS = ["new", "active", "loyal", "lapsed"]
KINDS = ["video", "episode", "chapter", "game"]


def make_campaigns(n: int, rng: np.random.Generator) -> list[CampaignSpec]:
    """``n`` campaigns: a third each CPM/CPC/oCPC, ~half with category targeting, some with
    region, segment and kind targeting; budgets large enough never to stop serving."""
    objectives = [Objective.IMPRESSIONS, Objective.CLICKS, Objective.CONVERSIONS]
    bids = {Objective.IMPRESSIONS: 3000, Objective.CLICKS: 60, Objective.CONVERSIONS: 900}
    out = []
    for j in range(n):
        objective = objectives[j % 3]
        pick = rng.random(4)
        out.append(
            CampaignSpec(
                pk=j + 1,
                external_id=f"c{j}",
                advertiser_pk=1 + j % 1000,
                objective=objective,
                bid_fen=int(bids[objective] * rng.uniform(0.3, 1.5)),
                daily_budget_fen=10**9,
                frequency_cap=10**6,
                creatives=[
                    CreativeSpec(
                        pk=j + 1, external_id=f"cr{j}", title="t", landing_url="https://example.com"
                    )
                ],
                categories=list(
                    rng.choice(CATEGORIES + TOP, size=rng.integers(1, 4), replace=False)
                )
                if pick[0] < 0.5
                else [],
                regions=list(rng.choice(REGIONS, size=3, replace=False)) if pick[1] < 0.1 else [],
                segments=[str(rng.choice(SEGMENTS))] if pick[2] < 0.1 else [],
                kinds=[str(rng.choice(KINDS))] if pick[3] < 0.1 else [],
            )
        )
    return out


def make_requests(n: int, rng: np.random.Generator) -> list[AdRequest]:
    """``n`` single-slot requests from varied users and contexts."""
    return [
        AdRequest(
            user_id=int(rng.integers(0, 100_000)),
            user_external_id="u",
            request_id=f"r{i}",
            slot_positions=[3],
            now_ms=T0_MS + i,
            context={
                "interests": list(rng.choice(CATEGORIES, size=rng.integers(1, 4), replace=False)),
                "region": str(rng.choice(REGIONS)),
                "segment": str(rng.choice(SEGMENTS)),
                "kind": str(rng.choice(KINDS)),
            },
        )
        for i in range(n)
    ]


def fit_model(n_campaigns: int, base: float, rng: np.random.Generator) -> ResponseModel:
    """A response model fitted on synthetic history, so offsets differ per campaign."""
    rows = 200_000
    entity = rng.integers(1, n_campaigns + 1, size=rows)
    effect = rng.normal(0, 0.5, size=n_campaigns + 1)
    match = rng.random(rows) < 0.4
    position = rng.integers(0, 3, size=rows)
    p = 1 / (1 + np.exp(-(math.log(base / (1 - base)) + effect[entity] + 0.6 * match)))
    return ResponseModel(random_state=0).fit(
        entity=entity, match=match, position=position, outcome=rng.random(rows) < p
    )


def loop_auction(server: Server, request: AdRequest) -> tuple[int, float] | None:
    """The peer: the same targeting, scoring and GSP as ``Server.fill``, one campaign at a
    time in plain Python (numpy scalars). Returns (winning campaign pk, clearing eCPM)."""
    ctx = request.context
    prefixes = {p for path in ctx["interests"] for p in category_prefixes(path)}
    pctr_model, pcvr_model = server.pctr_model, server.pcvr_model
    cr, cv = pctr_model.coef_, pcvr_model.coef_
    base = max(pctr_model.base_rate_, 1e-9)
    scored = []
    for j, c in enumerate(server.index.campaigns):
        match = bool(prefixes.intersection(c.categories))
        if c.categories and not match:
            continue
        if c.regions and ctx["region"] not in c.regions:
            continue
        if c.segments and ctx["segment"] not in c.segments:
            continue
        if c.kinds and ctx["kind"] not in c.kinds:
            continue
        pctr = 1 / (1 + np.exp(-(cr[0] + cr[1] * match + cr[-1] * server.scores.pctr_offset[j])))
        pcvr = 1 / (1 + np.exp(-(cv[0] + cv[1] * match + cv[-1] * server.scores.pcvr_offset[j])))
        code = server.index.objective[j]
        if code == CPM:
            bid = float(c.bid_fen)
        elif code == OCPC:
            bid = c.bid_fen * pcvr * pctr * 1000.0
        else:
            bid = c.bid_fen * pctr * 1000.0
        quality = min(max((pctr / base) ** QUALITY_EXPONENT, QUALITY_BOUNDS[0]), QUALITY_BOUNDS[1])
        if bid >= RESERVE_ECPM:
            scored.append((bid * quality, -j, bid, quality, c.pk))
    if not scored:
        return None
    scored.sort(reverse=True)
    top = scored[0]
    next_score = scored[1][0] if len(scored) > 1 else 0.0
    return top[4], min(max(RESERVE_ECPM, next_score / top[3]), top[2])


def vector_auction(server: Server, request: AdRequest) -> tuple[int, float] | None:
    """The same scoring, vectorised (what ``Server.fill`` does before booking)."""
    ctx = request.context
    eligible, match = server.index.targeting.lookup(
        interests=ctx["interests"],
        kind=ctx["kind"],
        segment=ctx["segment"],
        region=ctx["region"],
    )
    cand = np.flatnonzero(eligible)
    m = match[cand]
    pctr = server.pctr_model.predict_from_offsets(
        server.scores.pctr_offset[cand], match=m, position=0
    )
    pcvr = server.pcvr_model.predict_from_offsets(
        server.scores.pcvr_offset[cand], match=m, position=0
    )
    bids = bid_ecpm(server.index.objective[cand], server.index.bid_fen[cand], pctr, pcvr)
    quality = np.clip((pctr / server.pctr_model.base_rate_) ** QUALITY_EXPONENT, *QUALITY_BOUNDS)
    winners, prices = gsp(bids, quality, reserve_ecpm=RESERVE_ECPM, slots=1)
    if winners.size == 0:
        return None
    return int(server.index.pk[cand[winners[0]]]), float(prices[0])


def _rate(fn: Any, server: Server, requests: list[AdRequest]) -> tuple[float, float]:
    """(auctions per wall-clock second, auctions per CPU second of this process)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for request in requests:
        fn(server, request)
    return (
        len(requests) / (time.perf_counter() - wall),
        len(requests) / max(time.process_time() - cpu, 1e-9),
    )


def run(quick: bool = False) -> dict[str, Any]:
    """Measure auctions/s (best of ``repeats``), print a table, write the JSON result."""
    rng = np.random.default_rng(0)
    n_fill = 2_000 if quick else 20_000
    n_loop = 20 if quick else 100
    repeats = 1 if quick else 3
    specs = make_campaigns(CAMPAIGNS, rng)
    server = Server(
        ServingIndex(specs),
        pctr_model=fit_model(CAMPAIGNS, 0.02, rng),
        pcvr_model=fit_model(CAMPAIGNS, 0.08, rng),
        reserve_ecpm_fen=RESERVE_ECPM,
        min_gap=3,
        random_state=0,
    )
    server.load(
        server.index,
        spent_fen={},
        balances_fen={a: 10**12 for a in range(1, 1001)},
        creative_counts={},
    )
    requests = make_requests(n_fill, rng)
    check = requests[:n_loop]
    pk_of = {c.external_id: c.pk for c in specs}
    agree = 0
    for r in check:
        expected = loop_auction(server, r)
        served = server.fill(r)
        winner = (pk_of[served[0].campaign_id],) if served else None
        agree += expected == vector_auction(server, r) and winner == (
            None if expected is None else (expected[0],)
        )
    paths = {
        "fill": lambda s, r: s.fill(r),
        "vector_scoring": vector_auction,
        "loop_scoring": loop_auction,
    }
    best = dict.fromkeys(paths, 0.0)
    best_cpu = dict.fromkeys(paths, 0.0)
    load_before = os.getloadavg()[0]
    for _ in range(repeats):
        for name, fn in paths.items():
            wall, cpu = _rate(fn, server, check if name == "loop_scoring" else requests)
            best[name] = max(best[name], wall)
            best_cpu[name] = max(best_cpu[name], cpu)
    candidates = [
        int(
            np.sum(
                server.index.targeting.lookup(
                    interests=r.context["interests"],
                    kind=r.context["kind"],
                    segment=r.context["segment"],
                    region=r.context["region"],
                )[0]
            )
        )
        for r in check
    ]
    result = {
        "area": "ads",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "campaigns": CAMPAIGNS,
        "mean_candidates": round(float(np.mean(candidates)), 1),
        "auctions_timed": {"fill": n_fill, "vector_scoring": n_fill, "loop_scoring": n_loop},
        "repeats": repeats,
        "auctions_per_s": {k: round(v) for k, v in best.items()},
        "auctions_per_cpu_s": {k: round(v) for k, v in best_cpu.items()},
        "load_average_1min": round(max(load_before, os.getloadavg()[0]), 2),
        "fill_vs_loop": round(best["fill"] / best["loop_scoring"], 1),
        "vector_vs_loop": round(best["vector_scoring"] / best["loop_scoring"], 1),
        "loop_and_vector_agree": f"{agree}/{len(check)}",
        "floor_auctions_per_s": FLOOR_AUCTIONS_PER_S,
    }
    result["floors_met"] = best["fill"] >= FLOOR_AUCTIONS_PER_S and agree == len(check)
    result["floor_met_per_cpu_s"] = best_cpu["fill"] >= FLOOR_AUCTIONS_PER_S
    _print(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


def _print(result: dict[str, Any]) -> None:
    rates, cpu = result["auctions_per_s"], result["auctions_per_cpu_s"]
    table = Table(
        title=f"ads auctions, {result['campaigns']:,} active campaigns "
        f"(~{result['mean_candidates']:,} pass targeting), best of {result['repeats']} "
        f"({result['hardware']})"
    )
    for name in ("path", "auctions/s", "per CPU second", "vs loop", "floor"):
        table.add_column(name, justify="left" if name == "path" else "right")
    rows = [
        ("plain loop scoring (peer)", "loop_scoring", "1.0", ""),
        ("vectorised scoring + GSP", "vector_scoring", f"{result['vector_vs_loop']:,}", ""),
        (
            "Server.fill (whole auction)",
            "fill",
            f"{result['fill_vs_loop']:,}",
            f">= {FLOOR_AUCTIONS_PER_S:,}/s",
        ),
    ]
    for label, key, ratio, floor in rows:
        table.add_row(label, f"{rates[key]:,}", f"{cpu[key]:,}", ratio, floor)
    console = Console()
    console.print(table)
    console.print(
        f"loop, vectorised and Server.fill winners (and prices) agree: "
        f"{result['loop_and_vector_agree']}"
    )
    console.print(f"1-minute load average during the run: {result['load_average_1min']}")
    verdict = "met" if result["floors_met"] else "[bold red]NOT met[/]"
    console.print(
        f"floor on wall-clock auctions/s: {verdict}; per CPU second: "
        f"{'met' if result['floor_met_per_cpu_s'] else 'NOT met'}"
    )


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
