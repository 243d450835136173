"""Ads tables: advertisers, campaigns, creatives, the double-entry ledger and ad outcomes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class AdAdvertiser(Base):
    """An advertiser account; ``balance_fen`` mirrors the ledger (never below zero)."""

    __tablename__ = "ad_advertisers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    balance_fen: Mapped[int] = mapped_column(default=0)
    created_at_ms: Mapped[int]


class AdCampaign(Base):
    """A campaign; ``cpm_carry_millifen`` holds CPM charges below one fen not yet billed."""

    __tablename__ = "ad_campaigns"
    __table_args__ = (Index("ix_ad_campaigns_advertiser", "advertiser_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("ad_advertisers.id"))
    name: Mapped[str] = mapped_column(String(200))
    objective: Mapped[str] = mapped_column(String(16))
    bid_fen: Mapped[int]
    daily_budget_fen: Mapped[int]
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    targeting: Mapped[dict[str, Any]] = mapped_column(default=dict)
    frequency_cap: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(16), default="active")
    cpm_carry_millifen: Mapped[int] = mapped_column(default=0)
    created_at_ms: Mapped[int]
    updated_at_ms: Mapped[int]


class AdCreative(Base):
    """A creative of a campaign; ``variant`` holds title/cover/template indices if generated."""

    __tablename__ = "ad_creatives"
    __table_args__ = (Index("ix_ad_creatives_campaign", "campaign_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("ad_campaigns.id"))
    title: Mapped[str] = mapped_column(String(200))
    assets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    landing_url: Mapped[str] = mapped_column(String(2000))
    aigc: Mapped[bool] = mapped_column(Boolean, default=False)
    aigc_labels: Mapped[dict[str, Any]] = mapped_column(default=dict)
    variant: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at_ms: Mapped[int]


class AdJournal(Base):
    """One ledger transaction (an ad top-up or charge, or a commerce transaction, whose
    ``advertiser_id`` is empty); ``txn_key`` makes it happen at most once."""

    __tablename__ = "ad_journal"
    __table_args__ = (Index("ix_ad_journal_advertiser_day", "advertiser_id", "day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    advertiser_id: Mapped[int | None] = mapped_column(ForeignKey("ad_advertisers.id"))
    campaign_id: Mapped[int | None] = mapped_column(Integer)
    creative_id: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int]
    day: Mapped[str] = mapped_column(String(10))
    ts_ms: Mapped[int]


class AdPosting(Base):
    """One side of a ledger transaction: debit positive, credit negative; each journal sums to 0."""

    __tablename__ = "ad_postings"
    __table_args__ = (Index("ix_ad_postings_account", "account"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journal_id: Mapped[int] = mapped_column(ForeignKey("ad_journal.id"))
    account: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int]


class AdOutcome(Base):
    """An ad impression, click or conversion, once per (kind, impression id), with its charge."""

    __tablename__ = "ad_outcomes"
    __table_args__ = (
        UniqueConstraint("kind", "impression_id", name="uq_ad_outcomes_kind_impression"),
        Index("ix_ad_outcomes_campaign_day", "campaign_id", "day"),
        Index("ix_ad_outcomes_day", "day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    impression_id: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[str] = mapped_column(String(128))
    advertiser_id: Mapped[int] = mapped_column(Integer)
    campaign_id: Mapped[int] = mapped_column(Integer)
    creative_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Integer)
    ts_ms: Mapped[int]
    day: Mapped[str] = mapped_column(String(10))
    amount_fen: Mapped[int] = mapped_column(default=0)
    journal_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer, default=0)
    interest_match: Mapped[bool] = mapped_column(Boolean, default=False)
    price_millifen: Mapped[int] = mapped_column(default=0)
    click_price_fen: Mapped[int] = mapped_column(default=0)
    pctr: Mapped[float] = mapped_column(Float, default=0.0)
    pcvr: Mapped[float] = mapped_column(Float, default=0.0)
