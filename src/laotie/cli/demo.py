"""``laotie demo``: simulate a small platform end to end, report its KPIs, then serve the API.

The simulator builds a world (creators, videos, micro-drama series, novels, games), a
population of users, and drives the real services day by day — feed requests, events, ads,
trust screening, nightly training — on a ``ManualClock``; then the demo prints a KPI table,
writes an HTML report with charts into the home and serves the API over the same home.
"""

from __future__ import annotations

import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from laotie.cli._common import console, settings
from laotie.cli._serving import serve_api
from laotie.cli._tables import fitted_tables
from laotie.cli.sim import day_tables
from laotie.core.clock import ManualClock
from laotie.core.errors import Conflict
from laotie.core.money import format_fen
from laotie.insights import KPIS
from laotie.sim import SimConfig, Simulation, load_config
from laotie.sim.report import REVENUE_LABELS, kpi_rows, write_report
from laotie.sim.runner import DaySummary, start_ms_of
from laotie.store.repos import access

#: what makes a home the demo's own, so that a second ``laotie demo`` may start it over
MARKER = "demo.json"
#: the KPIs the demo prints (all defined in ``laotie.insights``)
SHOWN_KPIS = [
    "dau",
    "mau",
    "dau_mau",
    "watch_minutes_per_dau",
    "plays_per_dau",
    "play_rate",
    "long_view_rate",
    "like_rate",
    "d1_retention",
    "aigc_impression_share",
    "aigc_watch_share",
    "creator_exposure_gini",
    "new_item_exposure_share",
    "ad_ctr",
    "gmv_fen",
]


def _fresh_home(home: Path) -> None:
    """Start the home over if an earlier demo made it; refuse a home holding other data."""
    if (home / MARKER).is_file():
        shutil.rmtree(home)
    elif home.exists() and any(home.iterdir()):
        raise Conflict(
            f"{home} already holds data that the demo did not make; "
            "run the demo with a fresh --home (e.g. laotie --home ./demo-home demo)",
            field="home",
        )
    home.mkdir(parents=True, exist_ok=True)


def _config(users: int, items: int, days: int, seed: int, policy: str) -> SimConfig:
    # the simulated days end today, so that `laotie serve` on the demo home later sees fresh
    # data (time-decayed popularity and recency read the data as current)
    start = date.today() - timedelta(days=days)
    config = load_config(users=users, days=days, seed=seed, policy=policy, start=start.isoformat())
    data = config.model_dump()
    data["world"]["videos"] = items
    data["world"]["creators"] = max(20, items // 16)
    data["run"]["paying"] = True
    return SimConfig.model_validate(data)


def _revenue_rows(summary: dict[str, Any]) -> list[list[str]]:
    """Revenue by line, GMV, paying users and ARPPU from the ledger (rates: docs/commerce.md)."""
    rows = [[REVENUE_LABELS[line], format_fen(fen)] for line, fen in summary["revenue_fen"].items()]
    return [
        *rows,
        ["GMV 成交额", format_fen(summary["gmv_fen"])],
        ["paying users 付费用户", f"{summary['paying_users']:,}"],
        ["ARPPU", format_fen(summary["arppu_fen"])],
    ]


def _cell(name: str, value: object) -> str:
    if value is None:
        return "—"
    if name == "gmv_fen":
        return f"¥{float(value) / 100:,.0f}"  # type: ignore[arg-type]
    if isinstance(value, float):
        ratio = name.endswith(("_rate", "_share", "retention", "dau_mau", "_ctr"))
        if ratio:
            return f"{value:.1%}"
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def _serve_simulated_model(svc: Any) -> None:
    """Make the model that served the simulation's last day the one ``laotie feed``, ``laotie
    serve`` and the API serve (the simulation trains into ``models/feed-sim``)."""
    from laotie.feed.bundle import publish_current

    models = svc.settings.home / "models"  # the simulation's feed served from feed-sim
    version = publish_current(models / "feed-sim", models / "feed")
    if version is not None:
        console.print(f"serving model [bold]{version}[/], the one the last simulated day used")


def demo(
    users: Annotated[int, typer.Option(help="simulated users")] = 600,
    items: Annotated[int, typer.Option(help="short videos in the world (plus series etc.)")] = 2500,
    days: Annotated[int, typer.Option(help="simulated days")] = 5,
    seed: Annotated[int, typer.Option(help="seed of every random draw")] = 7,
    policy: Annotated[str, typer.Option(help="feed (the real feed) or popular/random")] = "feed",
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the API afterwards")
    ] = True,
) -> None:
    """Simulate a platform, report its KPIs, serve the API. Example: laotie demo --no-serve"""
    config_settings = settings()
    home = config_settings.home
    _fresh_home(home)
    config = _config(users, items, days, seed, policy)
    started = time.perf_counter()
    cpu_started = time.process_time()
    clock = ManualClock(start_ms_of(config))
    from laotie.wiring import build_services

    svc = build_services(config_settings, clock=clock)
    if policy == "feed" and getattr(svc, "feed", None) is None:
        console.print("[yellow]no feed service is wired in; the demo serves popular items[/]")
        config = config.with_run(policy="popular")
    (home / MARKER).write_text(
        json.dumps({"seed": seed, "users": users, "days": days}), encoding="utf-8"
    )

    def progress(summary: DaySummary) -> None:
        console.print(
            f"day {summary.label}: DAU {summary.dau:,}, {summary.impressions:,} impressions, "
            f"{summary.as_row()['watch_minutes_per_dau']:.1f} min/DAU "
            f"({time.perf_counter() - started:.0f} s)"
        )

    result = Simulation(config, svc, progress=progress).run()
    if getattr(svc, "feed", None) is not None and config.run.policy == "feed":
        _serve_simulated_model(svc)
    html, report = write_report(result, svc, home / "report", title="laotie demo 演示报告")
    elapsed = time.perf_counter() - started
    rows = [d.as_row() for d in result.days]
    for part in day_tables(rows, title="simulator (ground truth)", width=console.width):
        console.print(part)
    shown = kpi_rows(report, SHOWN_KPIS)
    for part in fitted_tables(
        width=console.width,
        title="KPIs per day (laotie.insights definitions)",
        key="KPI",
        headers=[str(period)[5:] for period in shown["period"].to_list()],
        rows=[[KPIS[n].short, *(_cell(n, v) for v in shown[n])] for n in shown.columns[1:]],
    ):
        console.print(part)
    for part in fitted_tables(
        width=console.width,
        title="revenue by line (ledger; paying rates cited in docs/commerce.md)",
        key="line",
        headers=["yuan"],
        rows=_revenue_rows(svc.commerce.summary()),
    ):
        console.print(part)
    cpu = time.process_time() - cpu_started
    console.print(
        f"simulated {days} days of {users:,} users in {elapsed:.0f} s ({cpu:.0f} s of CPU)"
    )
    console.print(f"report: [bold]{html.resolve()}[/]")
    with svc.db.session() as session:
        key, _ = access.create_key(session, role="admin", name="demo")
    console.print(f"admin key: [bold green]{key}[/]")
    svc.close()
    if not serve:
        return
    console.print(f"report: file://{html.resolve()}")
    # the simulation ran on its own frozen clock; what the server records is stamped with
    # the wall clock (it reads the trained model from the home)
    serving = build_services(config_settings)
    serve_api(serving, host=config_settings.host, port=config_settings.port)
