"""Ads API: advertisers (admin), campaigns and creatives (advertiser keys act only on their own
account), reports, KPIs, reconciliation and model training."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from pydantic import Field

from laotie.ads import (
    AdvertiserCreate,
    AdvertiserPublic,
    AigcShareRow,
    CampaignCreate,
    CampaignPublic,
    CampaignUpdate,
    CreativeCreate,
    CreativePublic,
    ProgrammaticCreate,
    ReportRow,
    TopUp,
)
from laotie.api.deps import AdminKey, DayText, ServicesDep, require_role
from laotie.core.catalog import MAX_TS_MS
from laotie.core.errors import PermissionDenied
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal

router = APIRouter(prefix="/v1/ads", tags=["ads"])
AdvertiserKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ADVERTISER))]
MAX_CREATIVES_PER_REQUEST = 50
Day = Annotated[
    DayText | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="local YYYY-MM-DD")
]


def _scope(principal: Principal) -> str | None:
    """The advertiser an advertiser key acts for (None for admins)."""
    if principal.role == Role.ADMIN:
        return None
    if not principal.scope:
        raise PermissionDenied("this advertiser key is not bound to an account", field="scope")
    return principal.scope


@router.post("/advertisers", status_code=201)
def create_advertiser(
    body: AdvertiserCreate, services: ServicesDep, _: AdminKey
) -> AdvertiserPublic:
    """Create an advertiser account (balance 0)."""
    return services.ads.accounts.create_advertiser(body)


@router.get("/advertisers")
def list_advertisers(services: ServicesDep, _: AdminKey) -> list[AdvertiserPublic]:
    """Every advertiser with its balance."""
    return services.ads.accounts.list_advertisers()


@router.get("/advertisers/{advertiser_id}")
def get_advertiser(
    advertiser_id: str, services: ServicesDep, key: AdvertiserKey
) -> AdvertiserPublic:
    """An advertiser and its prepaid balance in fen."""
    return services.ads.accounts.get_advertiser(advertiser_id, scope=_scope(key))


@router.post("/advertisers/{advertiser_id}/topups")
def top_up(advertiser_id: str, body: TopUp, services: ServicesDep, _: AdminKey) -> AdvertiserPublic:
    """Add prepaid money once per ``idempotency_key`` (a replay changes nothing)."""
    return services.ads.accounts.top_up(advertiser_id, body)


@router.post("/campaigns", status_code=201)
def create_campaign(
    body: CampaignCreate, services: ServicesDep, key: AdvertiserKey
) -> CampaignPublic:
    """Create a campaign for the key's own account (admins: any account)."""
    return services.ads.accounts.create_campaign(body, scope=_scope(key))


@router.get("/campaigns")
def list_campaigns(
    services: ServicesDep, key: AdvertiserKey, advertiser_id: str | None = None
) -> list[CampaignPublic]:
    """Campaigns of the key's account (admins: all, or one ``advertiser_id``)."""
    return services.ads.accounts.list_campaigns(advertiser_id=advertiser_id, scope=_scope(key))


@router.get("/campaigns/{campaign_id}")
def get_campaign(campaign_id: str, services: ServicesDep, key: AdvertiserKey) -> CampaignPublic:
    """One campaign."""
    return services.ads.accounts.get_campaign(campaign_id, scope=_scope(key))


@router.patch("/campaigns/{campaign_id}")
def update_campaign(
    campaign_id: str, body: CampaignUpdate, services: ServicesDep, key: AdvertiserKey
) -> CampaignPublic:
    """Change a campaign's bid, budget, schedule, targeting, cap or status."""
    return services.ads.accounts.update_campaign(campaign_id, body, scope=_scope(key))


@router.post("/campaigns/{campaign_id}/creatives", status_code=201)
def add_creatives(
    campaign_id: str,
    body: Annotated[
        list[CreativeCreate], Field(min_length=1, max_length=MAX_CREATIVES_PER_REQUEST)
    ],
    services: ServicesDep,
    key: AdvertiserKey,
) -> list[CreativePublic]:
    """Add up to 50 creatives to a campaign."""
    return services.ads.accounts.add_creatives(campaign_id, body, scope=_scope(key))


@router.post("/campaigns/{campaign_id}/programmatic", status_code=201)
def add_programmatic(
    campaign_id: str, body: ProgrammaticCreate, services: ServicesDep, key: AdvertiserKey
) -> list[CreativePublic]:
    """Generate titles x covers x templates creatives; Thompson sampling allocates traffic."""
    return services.ads.accounts.add_programmatic(campaign_id, body, scope=_scope(key))


@router.get("/campaigns/{campaign_id}/creatives")
def list_creatives(
    campaign_id: str, services: ServicesDep, key: AdvertiserKey
) -> list[CreativePublic]:
    """A campaign's creatives."""
    return services.ads.accounts.list_creatives(campaign_id, scope=_scope(key))


@router.get("/campaigns/{campaign_id}/allocation")
def allocation(campaign_id: str, services: ServicesDep, key: AdvertiserKey) -> dict[str, Any]:
    """Per-variant impressions, clicks and posterior CTR, and the estimated regret."""
    return services.ads.reports.creative_allocation(campaign_id, scope=_scope(key))


@router.get("/reports")
def report(
    services: ServicesDep,
    key: AdvertiserKey,
    group_by: Annotated[list[str], Query(description="day, campaign, creative")] = [  # noqa: B006
        "day",
        "campaign",
    ],
    start_day: Day = None,
    end_day: Day = None,
    advertiser_id: str | None = None,
    campaign_id: str | None = None,
) -> list[ReportRow]:
    """Spend (fen), impressions, clicks, conversions, CTR, CVR, CPA and eCPM."""
    return services.ads.reports.report(
        group_by=group_by,
        start_day=start_day,
        end_day=end_day,
        advertiser_id=advertiser_id,
        campaign_id=campaign_id,
        scope=_scope(key),
    )


@router.get("/reports/aigc-share")
def aigc_share(
    services: ServicesDep,
    key: AdvertiserKey,
    start_day: Day = None,
    end_day: Day = None,
    advertiser_id: str | None = None,
) -> list[AigcShareRow]:
    """AIGC creatives' share of spend per day."""
    return services.ads.reports.aigc_share(
        start_day=start_day, end_day=end_day, advertiser_id=advertiser_id, scope=_scope(key)
    )


@router.get("/kpis")
def kpis(
    services: ServicesDep, _: AdminKey, start_day: Day = None, end_day: Day = None
) -> dict[str, Any]:
    """Headline ad KPIs over a range of local days."""
    return services.ads.reports.kpis(start_day=start_day, end_day=end_day)


@router.get("/reconcile")
def reconcile(services: ServicesDep, _: AdminKey) -> dict[str, Any]:
    """Reports against the ledger, to the fen (``ok`` when everything agrees)."""
    return services.ads.reports.reconcile()


@router.post("/train")
async def train(services: ServicesDep, _: AdminKey) -> dict[str, Any]:
    """Fit pCTR/pCVR on recorded ad outcomes; returns ECE, log loss and AUC on a holdout."""
    return await run_in_threadpool(services.ads.models.train)


@router.post("/settle")
async def settle(
    services: ServicesDep,
    _: AdminKey,
    since_ms: Annotated[
        int, Query(ge=0, le=MAX_TS_MS, description="charge logged ad events from here on")
    ],
) -> dict[str, int]:
    """Charge logged ad events that were not charged yet (idempotent)."""
    summary = await run_in_threadpool(lambda: services.ads.charging.settle(since_ms=since_ms))
    return {
        "recorded": summary.recorded,
        "duplicate": summary.duplicate,
        "unmatched": summary.unmatched,
        "charged_fen": summary.charged_fen,
        "free": summary.free,
    }
