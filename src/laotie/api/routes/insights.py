"""KPI reports: ``/v1/insights/...`` (admin keys)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from laotie.api.deps import AdminKey, Day, ReaderKey, ServicesDep
from laotie.insights import KPIS, Period
from laotie.insights.item_stats import ItemStats
from laotie.insights.report import render_html

router = APIRouter(prefix="/v1/insights", tags=["insights"])
items_router = APIRouter(prefix="/v1/items", tags=["insights"])
FromDay = Annotated[Day | None, Query(alias="from", description="first local day")]
ToDay = Annotated[Day | None, Query(alias="to", description="last local day")]
By = Annotated[Period, Query(description="day | week | month")]


@router.get("/kpis")
def kpis(
    services: ServicesDep,
    _: AdminKey,
    first_day: FromDay = None,
    last_day: ToDay = None,
    by: By = "day",
) -> dict[str, Any]:
    """KPI rows per period (default: the last 30 days) and the definition of each KPI."""
    report = services.insights.kpi_report(first_day=first_day, last_day=last_day, by=by)
    return {
        "by": by,
        "tz": report.tz,
        "rows": report.table.with_columns(report.table["period"].cast(str)).to_dicts(),
        "definitions": {k.name: k.definition for k in KPIS.values()},
    }


@router.get("/report.html", response_class=HTMLResponse)
def report_html(
    services: ServicesDep,
    _: AdminKey,
    first_day: FromDay = None,
    last_day: ToDay = None,
    by: By = "day",
) -> HTMLResponse:
    """The KPI report as one self-contained HTML page with charts."""
    report = services.insights.kpi_report(first_day=first_day, last_day=last_day, by=by)
    return HTMLResponse(render_html(report, generated_at_ms=services.clock.now_ms()))


@items_router.get("/{item_id}/stats", response_model=ItemStats)
def item_stats(
    item_id: str,
    services: ServicesDep,
    _: ReaderKey,
    days: Annotated[int, Query(ge=1, le=366, description="window ending now, in days")] = 30,
) -> ItemStats:
    """An item's engagement over the last ``days`` days: impressions, viewers, plays, valid
    plays, long views, watch minutes, likes, shares, comments and their rates."""
    return services.insights.item_stats(item_id, days=days)
