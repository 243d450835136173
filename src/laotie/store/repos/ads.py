"""Ads repository: advertisers, campaigns, creatives, their ledger transactions, ad outcomes.

Money moves through ``store.repos.ledger``: a top-up debits cash and credits the advertiser;
a charge debits the advertiser and credits revenue. ``AdAdvertiser.balance_fen`` mirrors the
ledger and is moved with a conditional UPDATE, so it can never go below zero.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Integer, and_, case, func, select, update
from sqlalchemy.orm import Session

from laotie.core.errors import Conflict, NotFound
from laotie.store.repos import ledger
from laotie.store.tables import (
    AdAdvertiser,
    AdCampaign,
    AdCreative,
    AdJournal,
    AdOutcome,
    Event,
    Item,
    Novel,
    Series,
    User,
)

GROUPS = ("day", "campaign", "creative")


# --- advertisers -----------------------------------------------------------------------------


def create_advertiser(
    session: Session, *, external_id: str, name: str, created_at_ms: int
) -> AdAdvertiser:
    """Insert an advertiser with a zero balance; Conflict if the id exists."""
    if session.scalar(select(AdAdvertiser.id).where(AdAdvertiser.external_id == external_id)):
        raise Conflict(f"advertiser {external_id!r} already exists", field="id")
    row = AdAdvertiser(
        external_id=external_id, name=name, balance_fen=0, created_at_ms=created_at_ms
    )
    session.add(row)
    session.flush()
    return row


def get_advertiser(session: Session, *, external_id: str) -> AdAdvertiser:
    """The advertiser with this external id; NotFound otherwise."""
    row = session.scalar(select(AdAdvertiser).where(AdAdvertiser.external_id == external_id))
    if row is None:
        raise NotFound(f"advertiser {external_id!r} not found", field="advertiser_id")
    return row


def list_advertisers(session: Session) -> list[AdAdvertiser]:
    """Every advertiser, oldest first."""
    return list(session.scalars(select(AdAdvertiser).order_by(AdAdvertiser.id)))


# --- ledger ----------------------------------------------------------------------------------


def top_up(
    session: Session,
    *,
    advertiser: AdAdvertiser,
    amount_fen: int,
    txn_key: str,
    ts_ms: int,
    day: str,
) -> tuple[AdJournal, bool]:
    """Credit ``amount_fen`` to the advertiser once per ``txn_key``: (journal, created now).

    Reusing a key for a different advertiser or amount is a Conflict.
    """
    existing = ledger.find_journal(session, txn_key=txn_key)
    if existing is not None:
        if existing.advertiser_id != advertiser.id or existing.amount_fen != amount_fen:
            raise Conflict(
                f"idempotency key {txn_key!r} was used for a different top-up",
                field="idempotency_key",
            )
        return existing, False
    journal = ledger.post(
        session,
        txn_key=txn_key,
        kind="topup",
        legs=[
            (ledger.ACCOUNT_CASH, amount_fen),
            (ledger.advertiser_account(advertiser.id), -amount_fen),
        ],
        ts_ms=ts_ms,
        day=day,
        advertiser_id=advertiser.id,
    )
    session.execute(
        update(AdAdvertiser)
        .where(AdAdvertiser.id == advertiser.id)
        .values(balance_fen=AdAdvertiser.balance_fen + amount_fen)
    )
    session.refresh(advertiser)
    return journal, True


def charge(
    session: Session,
    *,
    txn_key: str,
    advertiser_id: int,
    campaign_id: int,
    creative_id: int,
    amount_fen: int,
    ts_ms: int,
    day: str,
) -> AdJournal | None:
    """Move ``amount_fen`` from the advertiser to revenue, or nothing (None) if the balance
    cannot cover all of it; never moves part of a charge."""
    moved = session.execute(
        update(AdAdvertiser)
        .where(AdAdvertiser.id == advertiser_id, AdAdvertiser.balance_fen >= amount_fen)
        .values(balance_fen=AdAdvertiser.balance_fen - amount_fen)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return None
    return ledger.post(
        session,
        txn_key=txn_key,
        kind="charge",
        legs=[
            (ledger.advertiser_account(advertiser_id), amount_fen),
            (ledger.ACCOUNT_REVENUE, -amount_fen),
        ],
        ts_ms=ts_ms,
        day=day,
        advertiser_id=advertiser_id,
        campaign_id=campaign_id,
        creative_id=creative_id,
    )


def charged_by_day(
    session: Session, *, advertiser_id: int | None = None
) -> dict[tuple[str, int], int]:
    """Ledger charges per (day, campaign id), in fen."""
    query = select(AdJournal.day, AdJournal.campaign_id, func.sum(AdJournal.amount_fen)).where(
        AdJournal.kind == "charge"
    )
    if advertiser_id is not None:
        query = query.where(AdJournal.advertiser_id == advertiser_id)
    rows = session.execute(query.group_by(AdJournal.day, AdJournal.campaign_id))
    return {(day, campaign or 0): int(total) for day, campaign, total in rows}


# --- campaigns and creatives -----------------------------------------------------------------


def known_categories(session: Session) -> set[str]:
    """Every category path used by catalog items, series and novels, with its ancestors."""
    paths: set[str] = set()
    for table in (Item, Series, Novel):
        for (category,) in session.execute(select(table.category).distinct()):
            parts = [p for p in (category or "").split("/") if p]
            paths.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return paths


def create_campaign(session: Session, *, values: dict[str, Any]) -> AdCampaign:
    """Insert a campaign from validated column values; Conflict if the id exists."""
    external_id = values["external_id"]
    if session.scalar(select(AdCampaign.id).where(AdCampaign.external_id == external_id)):
        raise Conflict(f"campaign {external_id!r} already exists", field="id")
    row = AdCampaign(cpm_carry_millifen=0, **values)
    session.add(row)
    session.flush()
    return row


def get_campaign(session: Session, *, external_id: str) -> AdCampaign:
    """The campaign with this external id; NotFound otherwise."""
    row = session.scalar(select(AdCampaign).where(AdCampaign.external_id == external_id))
    if row is None:
        raise NotFound(f"campaign {external_id!r} not found", field="campaign_id")
    return row


def list_campaigns(session: Session, *, advertiser_id: int | None = None) -> list[AdCampaign]:
    """Campaigns, oldest first, optionally of one advertiser."""
    query = select(AdCampaign).order_by(AdCampaign.id)
    if advertiser_id is not None:
        query = query.where(AdCampaign.advertiser_id == advertiser_id)
    return list(session.scalars(query))


def update_campaign(
    session: Session, *, row: AdCampaign, values: dict[str, Any], updated_at_ms: int
) -> AdCampaign:
    """Apply already validated ``values`` (column name -> value) to a campaign."""
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at_ms = updated_at_ms
    session.flush()
    return row


def create_creatives(
    session: Session, *, campaign_id: int, creatives: Sequence[dict[str, Any]], created_at_ms: int
) -> list[AdCreative]:
    """Insert creatives (dicts of column values) for a campaign; Conflict on a taken id."""
    ids = [c["external_id"] for c in creatives]
    if len(set(ids)) != len(ids):
        raise Conflict("creative ids repeat within the request", field="id")
    taken = session.scalars(select(AdCreative.external_id).where(AdCreative.external_id.in_(ids)))
    clash = sorted(taken)
    if clash:
        raise Conflict(f"creative {clash[0]!r} already exists", field="id")
    rows = [
        AdCreative(campaign_id=campaign_id, created_at_ms=created_at_ms, **c) for c in creatives
    ]
    session.add_all(rows)
    session.flush()
    return rows


def list_creatives(session: Session, *, campaign_id: int | None = None) -> list[AdCreative]:
    """Creatives, oldest first, optionally of one campaign."""
    query = select(AdCreative).order_by(AdCreative.id)
    if campaign_id is not None:
        query = query.where(AdCreative.campaign_id == campaign_id)
    return list(session.scalars(query))


# --- outcomes --------------------------------------------------------------------------------


def get_outcome(session: Session, *, kind: str, impression_id: str) -> AdOutcome | None:
    """The recorded outcome of ``kind`` for an impression id, if any."""
    return session.scalar(
        select(AdOutcome).where(AdOutcome.kind == kind, AdOutcome.impression_id == impression_id)
    )


def add_outcome(session: Session, **values: Any) -> AdOutcome:
    """Record an ad outcome (impression/click/conversion) with its charge, if any."""
    row = AdOutcome(**values)
    session.add(row)
    session.flush()
    return row


def spent_on_day(session: Session, *, campaign_id: int, day: str) -> int:
    """Fen billed to a campaign on a local day."""
    total = session.scalar(
        select(func.coalesce(func.sum(AdOutcome.amount_fen), 0)).where(
            AdOutcome.campaign_id == campaign_id, AdOutcome.day == day
        )
    )
    return int(total or 0)


def spend_by_campaign(session: Session, *, day: str) -> dict[int, int]:
    """Fen billed per campaign on a local day."""
    rows = session.execute(
        select(AdOutcome.campaign_id, func.sum(AdOutcome.amount_fen))
        .where(AdOutcome.day == day)
        .group_by(AdOutcome.campaign_id)
    )
    return {campaign: int(total) for campaign, total in rows}


def add_cpm_carry(session: Session, *, campaign_id: int, millifen: int) -> int:
    """Add a CPM impression's milli-fen to the campaign's carry; return the whole fen now due."""
    row = session.get(AdCampaign, campaign_id)
    assert row is not None
    total = row.cpm_carry_millifen + millifen
    row.cpm_carry_millifen = total % 1000
    session.flush()
    return total // 1000


def creative_counts(session: Session) -> dict[int, tuple[int, int]]:
    """(impressions, clicks) per creative id, over all time."""
    rows = session.execute(
        select(
            AdOutcome.creative_id,
            func.sum(case((AdOutcome.kind == "impression", 1), else_=0)),
            func.sum(case((AdOutcome.kind == "click", 1), else_=0)),
        ).group_by(AdOutcome.creative_id)
    )
    return {creative: (int(imps), int(clicks)) for creative, imps, clicks in rows}


def frequency_counts(session: Session, *, day: str) -> dict[tuple[int, int], int]:
    """Impressions per (user id, campaign id) on a local day."""
    rows = session.execute(
        select(AdOutcome.user_id, AdOutcome.campaign_id, func.count())
        .where(AdOutcome.day == day, AdOutcome.kind == "impression")
        .group_by(AdOutcome.user_id, AdOutcome.campaign_id)
    )
    return {(user, campaign): int(n) for user, campaign, n in rows}


def training_rows(session: Session, *, kind: str, outcome_kind: str) -> list[tuple[Any, ...]]:
    """(campaign id, interest match, position, ts_ms, had outcome) per ``kind`` outcome row:
    impressions -> clicked for pCTR, clicks -> converted for pCVR."""
    later = select(AdOutcome.impression_id).where(AdOutcome.kind == outcome_kind)
    query = select(
        AdOutcome.campaign_id,
        AdOutcome.interest_match,
        AdOutcome.position,
        AdOutcome.ts_ms,
        AdOutcome.impression_id.in_(later),
    ).where(AdOutcome.kind == kind)
    return [tuple(r) for r in session.execute(query.order_by(AdOutcome.ts_ms))]


# --- reports ---------------------------------------------------------------------------------


def report_rows(
    session: Session,
    *,
    group_by: Iterable[str],
    start_day: str | None = None,
    end_day: str | None = None,
    advertiser_id: int | None = None,
    campaign_id: int | None = None,
) -> list[dict[str, Any]]:
    """Impressions, clicks, conversions and spend (fen) per group of day/campaign/creative."""
    groups = [g for g in GROUPS if g in set(group_by)]
    columns = {
        "day": AdOutcome.day.label("day"),
        "campaign": AdCampaign.external_id.label("campaign_id"),
        "creative": AdCreative.external_id.label("creative_id"),
    }
    selected = [columns[g] for g in groups]
    counts = [
        func.sum(case((AdOutcome.kind == k, 1), else_=0)).label(f"{k}s")
        for k in ("impression", "click", "conversion")
    ]
    query = (
        select(*selected, *counts, func.sum(AdOutcome.amount_fen).label("spend_fen"))
        .select_from(AdOutcome)
        .join(AdCampaign, AdCampaign.id == AdOutcome.campaign_id)
        .join(AdCreative, AdCreative.id == AdOutcome.creative_id)
    )
    query = _filters(query, start_day, end_day, advertiser_id, campaign_id)
    if selected:
        query = query.group_by(*selected).order_by(*selected)
    out = []
    for row in session.execute(query):
        values = row._asdict()
        if values["impressions"] is None:
            continue
        out.append(
            {k: (int(v) if k.endswith("s") or k == "spend_fen" else v) for k, v in values.items()}
        )
    return out


def aigc_spend_by_day(
    session: Session,
    *,
    start_day: str | None = None,
    end_day: str | None = None,
    advertiser_id: int | None = None,
) -> list[dict[str, Any]]:
    """Spend and spend on AIGC creatives (fen) per local day."""
    aigc_spend = func.sum(case((AdCreative.aigc.is_(True), AdOutcome.amount_fen), else_=0))
    query = (
        select(
            AdOutcome.day,
            func.sum(AdOutcome.amount_fen).label("spend_fen"),
            aigc_spend.cast(Integer).label("aigc_spend_fen"),
        )
        .select_from(AdOutcome)
        .join(AdCampaign, AdCampaign.id == AdOutcome.campaign_id)
        .join(AdCreative, AdCreative.id == AdOutcome.creative_id)
    )
    query = _filters(query, start_day, end_day, advertiser_id, None)
    rows = session.execute(query.group_by(AdOutcome.day).order_by(AdOutcome.day))
    return [
        {"day": day, "spend_fen": int(spend), "aigc_spend_fen": int(aigc)}
        for day, spend, aigc in rows
    ]


def _filters(
    query: Any,
    start_day: str | None,
    end_day: str | None,
    advertiser_id: int | None,
    campaign_id: int | None,
) -> Any:
    conditions = []
    if start_day is not None:
        conditions.append(AdOutcome.day >= start_day)
    if end_day is not None:
        conditions.append(AdOutcome.day <= end_day)
    if advertiser_id is not None:
        conditions.append(AdOutcome.advertiser_id == advertiser_id)
    if campaign_id is not None:
        conditions.append(AdOutcome.campaign_id == campaign_id)
    return query.where(and_(*conditions)) if conditions else query


def campaign_by_pk(session: Session, *, campaign_id: int) -> AdCampaign:
    """The campaign with this internal id; NotFound otherwise."""
    row = session.get(AdCampaign, campaign_id)
    if row is None:
        raise NotFound(f"campaign #{campaign_id} not found", field="campaign_id")
    return row


def user_attrs(session: Session, *, user_id: int) -> tuple[str | None, str | None]:
    """(region, segment) of a user by internal id; (None, None) for an unknown user."""
    query = select(User.region, User.segment).where(User.id == user_id)
    row = session.connection().execute(query).first()  # Core: no ORM overhead on the hot path
    return (row[0], row[1]) if row is not None else (None, None)


def ad_events_since(
    session: Session, *, since_ms: int, type_codes: Sequence[int]
) -> list[tuple[str, int, str | None, int, int]]:
    """(client event id, type code, ref, ts_ms, user id) of hot-log events of the given types
    at or after ``since_ms``, oldest first."""
    rows = session.execute(
        select(Event.client_event_id, Event.type, Event.ref, Event.ts_ms, Event.user_id)
        .where(Event.type.in_(list(type_codes)), Event.ts_ms >= since_ms)
        .order_by(Event.id)
    )
    return [tuple(r) for r in rows]  # type: ignore[misc]


def item_categories(session: Session, *, item_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(category path, kind) of items by internal id; an episode/chapter without a category
    of its own takes its series'/novel's."""
    ids = list(item_ids)
    out: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 900):
        rows = session.execute(
            select(Item.id, Item.category, Item.kind, Series.category, Novel.category)
            .outerjoin(Series, Series.id == Item.series_id)
            .outerjoin(Novel, Novel.id == Item.novel_id)
            .where(Item.id.in_(ids[start : start + 900]))
        )
        for item, category, kind, series, novel in rows:
            out[item] = ((category or series or novel or "").strip("/"), kind)
    return out
