"""Ads: advertisers, campaigns (create one), creatives with traffic share, pacing, reports.

Every read goes through the API's ads endpoints, so an advertiser sees only their own account.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from laotie.ads import CampaignCreate, Objective, ReportRow
from laotie.api.routes import ads as ads_api
from laotie.core.errors import NotFound
from laotie.core.ids import new_id
from laotie.core.kinds import Role
from laotie.web.charts import axis_chart
from laotie.web.console import ConsoleRoute, Visit, VisitDep
from laotie.web.forms import build, yuan_to_fen
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


async def _advertisers(visit: Visit) -> list[Any]:
    if await visit.allowed(ads_api.list_advertisers):
        advertisers: list[Any] = await call_api(
            ads_api.list_advertisers, visit.request, visit.principal
        )
        return advertisers
    own = await call_api(
        ads_api.get_advertiser,
        visit.request,
        visit.principal,
        advertiser_id=visit.principal.scope or "",
    )
    return [own]


def _spend_chart(
    visit: Visit, title: str, rows: list[ReportRow], budget_fen: int | None = None
) -> dict[str, Any] | None:
    """Spend per day in yuan as bars; with a budget, the daily budget as a line (pacing)."""
    days = sorted({r.day for r in rows if r.day})
    if not days:
        return None
    spend = {d: 0 for d in days}
    for r in rows:
        if r.day:
            spend[r.day] += r.spend_fen
    series: list[dict[str, Any]] = [
        {"name": visit.t("spend_yuan"), "type": "bar", "data": [spend[d] / 100 for d in days]}
    ]
    if budget_fen is not None:
        series.append(
            {
                "name": visit.t("daily_budget_yuan"),
                "type": "line",
                "step": "middle",
                "data": [budget_fen / 100] * len(days),
            }
        )
    return axis_chart(title, days, series, y_axis={"name": "¥"})


@router.get("/ads")
async def ads_page(visit: VisitDep) -> Response:
    """Advertisers, campaigns, a spend report and the new-campaign form."""
    campaigns = await call_api(
        ads_api.list_campaigns, visit.request, visit.principal, advertiser_id=None
    )
    rows = await call_api(
        ads_api.report,
        visit.request,
        visit.principal,
        group_by=["day"],
        campaign_id=None,
        advertiser_id=None,
    )
    advertisers = await _advertisers(visit)
    return await visit.render(
        "ads.html",
        advertisers=advertisers,
        campaigns=campaigns,
        rows=rows,
        chart=_spend_chart(visit, visit.t("spend_yuan"), rows),
        objectives=[o.value for o in Objective],
        locked_advertiser=visit.principal.scope
        if visit.principal.role == Role.ADVERTISER
        else None,
    )


@router.get("/ads/campaigns/{campaign_id}")
async def campaign_page(visit: VisitDep, campaign_id: str) -> Response:
    """One campaign: creatives and their traffic share, the pacing curve, the daily report."""
    args = (visit.request, visit.principal)
    campaign = await call_api(ads_api.get_campaign, *args, campaign_id=campaign_id)
    creatives = await call_api(ads_api.list_creatives, *args, campaign_id=campaign_id)
    try:
        allocation = await call_api(ads_api.allocation, *args, campaign_id=campaign_id)
    except NotFound:  # a campaign without creatives yet
        allocation = {"variants": [], "estimated_regret_clicks": 0.0}
    shown = sum(v["impressions"] for v in allocation["variants"]) or 1
    shares = {v["creative_id"]: v["impressions"] / shown for v in allocation["variants"]}
    rows = await call_api(
        ads_api.report, *args, group_by=["day"], campaign_id=campaign_id, advertiser_id=None
    )
    return await visit.render(
        "campaign.html",
        campaign=campaign,
        creatives=creatives,
        shares=shares,
        allocation=allocation,
        rows=rows,
        chart=_spend_chart(visit, visit.t("pacing"), rows, campaign.daily_budget_fen),
    )


@router.post("/ads/campaigns")
async def create_campaign(
    visit: VisitDep,
    advertiser_id: Annotated[str, Form()],
    name: Annotated[str, Form()],
    objective: Annotated[str, Form()],
    bid_yuan: Annotated[str, Form()],
    daily_budget_yuan: Annotated[str, Form()],
) -> Response:
    """Create a campaign through the API (an advertiser only for their own account)."""
    body = build(
        CampaignCreate,
        {
            "id": new_id("camp_"),
            "advertiser_id": advertiser_id,
            "name": name,
            "objective": objective,
            "bid_fen": yuan_to_fen(bid_yuan, field="bid_yuan"),
            "daily_budget_fen": yuan_to_fen(daily_budget_yuan, field="daily_budget_yuan"),
        },
    )
    created = await call_api(ads_api.create_campaign, visit.request, visit.principal, body=body)
    return RedirectResponse(f"/ads/campaigns/{created.id}", status_code=303)
