"""Overview: KPI tiles and charts over a range of local days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from laotie.api.routes import insights as insights_api
from laotie.core.errors import InvalidInput
from laotie.insights import KPIS
from laotie.web.charts import kpi_label, overview_charts
from laotie.web.console import ConsoleRoute, VisitDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
#: the tiles: KPI name and how to show its value
TILES = (
    ("dau", "count"),
    ("mau", "count"),
    ("dau_mau", "percent"),
    ("watch_minutes_per_dau", "number"),
    ("d1_retention", "percent"),
    ("revenue_fen", "yuan"),
    ("aigc_impression_share", "percent"),
)


def _parse_day(raw: str | None, field: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise InvalidInput(f"{field} must be a day YYYY-MM-DD, got {raw!r}", field=field) from exc


def _show(value: Any, how: str) -> str:
    if value is None:
        return "—"
    number = float(value)
    if how == "percent":
        return f"{number:.1%}"
    if how == "yuan":
        return f"¥{number / 100:,.2f}"
    if how == "count":
        return f"{number:,.0f}"
    return f"{number:,.1f}"


def _latest(rows: list[dict[str, Any]], name: str) -> tuple[Any, str]:
    """The newest value that is known (a day's D1 retention is not, until the next day), and
    its period; a day with no active user at all does not count as the newest."""
    for row in reversed(rows):
        if row.get(name) is not None and row.get("dau"):
            return row[name], str(row["period"])
    return None, ""


@router.get("/")
async def overview(visit: VisitDep, start: str | None = None, end: str | None = None) -> Response:
    """KPI tiles and charts; other roles start on the first page they may open."""
    if not await visit.allowed(insights_api.kpis):
        # every role may read the catalog, so there is always a first page
        pages = await visit.nav()
        return RedirectResponse(pages[0][0].path if pages else "/catalog", status_code=303)
    first_day, last_day = _parse_day(start, "start"), _parse_day(end, "end")
    services = visit.request.app.state.services
    report = await run_in_threadpool(
        lambda: services.insights.kpi_report(first_day=first_day, last_day=last_day)
    )
    table = report.table
    if first_day is None:  # the default window: skip the days before the data starts
        active = table["dau"] > 0
        if active.any():
            table = table.slice(int(active.arg_true()[0]))
            report = replace(report, table=table)
    rows = table.to_dicts()
    tiles = []
    for name, how in TILES:
        value, period = _latest(rows, name)
        tiles.append(
            (kpi_label(name, visit.lang), _show(value, how), period, KPIS[name].definition)
        )
    periods = table["period"]
    return await visit.render(
        "overview.html",
        tiles=tiles,
        charts=overview_charts(report, visit.lang, visit.t),
        cohorts=report.cohorts.to_dicts(),
        start=str(periods[0]) if len(periods) else (start or ""),
        end=str(periods[-1]) if len(periods) else (end or ""),
        empty=not any(row.get("dau") for row in rows),
    )
