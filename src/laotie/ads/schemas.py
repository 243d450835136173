"""Ads schemas: what callers send (``Create``/``Update``) and get back (``Public``).

Money is integer fen. A campaign's ``bid_fen`` means, by objective: ``impressions`` (CPM)
fen per 1,000 impressions; ``clicks`` (CPC) fen per click; ``conversions`` (oCPC) the
target cost per conversion in fen.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from laotie.core.catalog import EXTERNAL_ID, MAX_TS_MS
from laotie.core.kinds import ItemKind

MAX_NAME = 200
MAX_TARGETS = 100
MAX_VARIANT_PARTS = 20


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class Objective(StrEnum):
    """What a campaign buys, and so how it bids and is billed."""

    IMPRESSIONS = "impressions"  # CPM: billed per impression
    CLICKS = "clicks"  # CPC: billed per click
    CONVERSIONS = "conversions"  # oCPC: bids target x pCTR x pCVR, billed per click
    PURCHASES = "purchases"  # oCPC to a purchase: same bid, billed per paid order from the ad


class CampaignStatus(StrEnum):
    """Only ``active`` campaigns serve."""

    ACTIVE = "active"
    PAUSED = "paused"


class Targeting(_Schema):
    """Who may see a campaign; an empty list means no restriction on that dimension."""

    categories: list[str] = Field(default_factory=list, max_length=MAX_TARGETS)
    kinds: list[ItemKind] = Field(default_factory=list, max_length=4)
    segments: list[str] = Field(default_factory=list, max_length=MAX_TARGETS)
    regions: list[str] = Field(default_factory=list, max_length=MAX_TARGETS)


class Schedule(_Schema):
    """When a campaign may serve: an epoch-ms window and optional local hours of day (0-23)."""

    start_ms: int | None = Field(default=None, ge=0, le=MAX_TS_MS)
    end_ms: int | None = Field(default=None, ge=0, le=MAX_TS_MS)
    hours: list[int] = Field(default_factory=list, max_length=24)

    @model_validator(mode="after")
    def _ordered(self) -> Schedule:
        if self.start_ms is not None and self.end_ms is not None and self.end_ms <= self.start_ms:
            raise ValueError("schedule.end_ms: must be after schedule.start_ms")
        if any(h < 0 or h > 23 for h in self.hours):
            raise ValueError("schedule.hours: each hour must be 0..23")
        return self


class AdvertiserCreate(_Schema):
    """An advertiser account; its balance starts at zero and grows by top-ups."""

    id: str = Field(pattern=EXTERNAL_ID)
    name: str = Field(min_length=1, max_length=MAX_NAME)


class AdvertiserPublic(_Schema):
    """An advertiser account with its prepaid balance in fen."""

    id: str
    name: str
    balance_fen: int
    created_at_ms: int


class TopUp(_Schema):
    """Money added to an advertiser's prepaid balance; ``idempotency_key`` makes it once-only."""

    amount_fen: int = Field(strict=True, description="fen, > 0 and <= the configured top-up limit")
    idempotency_key: str = Field(pattern=EXTERNAL_ID)


class CampaignCreate(_Schema):
    """A campaign of an advertiser."""

    id: str = Field(pattern=EXTERNAL_ID)
    advertiser_id: str = Field(pattern=EXTERNAL_ID)
    name: str = Field(min_length=1, max_length=MAX_NAME)
    objective: Objective
    bid_fen: int = Field(
        strict=True,
        description="CPM fen/1000 imps, CPC fen/click, oCPC target fen/conv (or /purchase)",
    )
    daily_budget_fen: int = Field(strict=True)
    schedule: Schedule = Field(default_factory=Schedule)
    targeting: Targeting = Field(default_factory=Targeting)
    frequency_cap: int = Field(default=3, ge=1, le=1000, description="per user per day")
    status: CampaignStatus = CampaignStatus.ACTIVE


class CampaignUpdate(_Schema):
    """Fields of a campaign that may change (all optional)."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    bid_fen: int | None = Field(default=None, strict=True)
    daily_budget_fen: int | None = Field(default=None, strict=True)
    schedule: Schedule | None = None
    targeting: Targeting | None = None
    frequency_cap: int | None = Field(default=None, ge=1, le=1000)
    status: CampaignStatus | None = None


class CampaignPublic(_Schema):
    """A campaign as the API returns it."""

    id: str
    advertiser_id: str
    name: str
    objective: Objective
    bid_fen: int
    daily_budget_fen: int
    schedule: Schedule
    targeting: Targeting
    frequency_cap: int
    status: CampaignStatus
    created_at_ms: int


class CreativeCreate(_Schema):
    """An ad creative: what the user sees and where a click goes."""

    id: str = Field(pattern=EXTERNAL_ID)
    title: str = Field(min_length=1, max_length=MAX_NAME)
    assets: dict[str, str] = Field(default_factory=dict, max_length=20)
    landing_url: HttpUrl
    aigc: bool = Field(default=False, description="made (partly) by AI")
    aigc_labels: dict[str, Any] = Field(default_factory=dict, description="GB 45438 labels")


class CreativePublic(_Schema):
    """A creative as the API returns it."""

    id: str
    campaign_id: str
    title: str
    assets: dict[str, str]
    landing_url: str
    aigc: bool
    aigc_labels: dict[str, Any]
    variant: dict[str, int]
    created_at_ms: int


class ProgrammaticCreate(_Schema):
    """Titles x covers x templates; every combination becomes one creative variant."""

    id_prefix: str = Field(pattern=EXTERNAL_ID, max_length=64)
    titles: list[str] = Field(min_length=1, max_length=MAX_VARIANT_PARTS)
    covers: list[str] = Field(min_length=1, max_length=MAX_VARIANT_PARTS)
    templates: list[str] = Field(min_length=1, max_length=MAX_VARIANT_PARTS)
    landing_url: HttpUrl
    aigc: bool = False
    aigc_labels: dict[str, Any] = Field(default_factory=dict)


class ReportRow(_Schema):
    """One row of an ads report: counts, spend in fen and the derived ratios."""

    day: str | None = None
    campaign_id: str | None = None
    creative_id: str | None = None
    impressions: int
    clicks: int
    conversions: int
    spend_fen: int
    ctr: float | None
    cvr: float | None
    cpa_fen: float | None
    ecpm_fen: float | None


class AigcShareRow(_Schema):
    """AIGC creatives' share of one day's spend ("AIGC marketing material daily spend")."""

    day: str
    spend_fen: int
    aigc_spend_fen: int
    aigc_share: float | None
