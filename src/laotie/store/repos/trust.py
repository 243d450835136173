"""Trust repository: gate decisions per item, the review queue, fingerprints.

Every function takes the session first and keyword-only arguments after it; items are named
by their internal integer ids here (the service maps external ids).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.errors import InvalidInput, NotFound
from laotie.store.repos._pagination import decode_cursor, encode_cursor
from laotie.store.tables import Item, TrustFingerprint, TrustRecord

MAX_PAGE = 500
#: ``screening``: held by the catalog door until the first screen replaces the record
REVIEW_STATES = ("none", "pending", "resolved", "screening")
#: the reason on the decision that holds a new item back until trust has screened it
AWAITING_SCREENING = "awaiting screening"
_SIGN = 1 << 63


def _to_signed(value: int) -> int:
    return value - (1 << 64) if value >= _SIGN else value


def _to_unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def save_record(
    session: Session,
    *,
    item_id: int,
    decision: str,
    reasons: Sequence[str],
    checks: dict[str, Any],
    aigc_status: str,
    label_found: dict[str, Any] | None,
    duplicate_of: int | None,
    similarity: float | None,
    review_state: str,
    now_ms: int,
) -> TrustRecord:
    """Create or replace the automatic decision on an item."""
    if review_state not in REVIEW_STATES:
        raise InvalidInput(f"review_state must be one of {REVIEW_STATES}", field="review_state")
    row = session.scalar(select(TrustRecord).where(TrustRecord.item_id == item_id))
    if row is None:
        row = TrustRecord(item_id=item_id, created_at_ms=now_ms)
        session.add(row)
    row.decision = decision
    row.reasons = list(reasons)
    row.checks = checks
    row.aigc_status = aigc_status
    row.label_found = label_found
    row.duplicate_of = duplicate_of
    row.similarity = similarity
    row.review_state = review_state
    row.updated_at_ms = now_ms
    session.flush()
    return row


def get_record(session: Session, *, item_id: int) -> TrustRecord:
    """The trust record of an item; NotFound when it was never screened."""
    row = session.scalar(select(TrustRecord).where(TrustRecord.item_id == item_id))
    if row is None:
        raise NotFound(f"item {item_id} has no trust record", item_id=item_id)
    return row


def gated(session: Session) -> dict[int, str]:
    """Every item whose decision is not ``allow``, with that decision (absent items are allowed)."""
    query = select(TrustRecord.item_id, TrustRecord.decision).where(TrustRecord.decision != "allow")
    return {item_id: decision for item_id, decision in session.execute(query)}


def decision_stamp(session: Session) -> tuple[int, int]:
    """(records, latest update in ms) of the trust records: it changes whenever one is saved."""
    count, latest = session.execute(
        select(func.count(), func.coalesce(func.max(TrustRecord.updated_at_ms), 0))
    ).one()
    return int(count), int(latest)


@dataclass(frozen=True)
class QueueEntry:
    """One record in the review queue with its item's external id and title."""

    record: TrustRecord
    item_external_id: str
    title: str


def review_queue(
    session: Session, *, state: str = "pending", cursor: str | None = None, limit: int = 50
) -> tuple[list[QueueEntry], str | None]:
    """Records in ``state``, oldest first, one page at a time; returns (entries, next_cursor)."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1..{MAX_PAGE}", field="limit", limit=MAX_PAGE)
    if state not in REVIEW_STATES:
        raise InvalidInput(f"state must be one of {REVIEW_STATES}", field="state")
    query = (
        select(TrustRecord, Item.external_id, Item.title)
        .join(Item, Item.id == TrustRecord.item_id)
        .where(TrustRecord.review_state == state, TrustRecord.id > decode_cursor(cursor))
        .order_by(TrustRecord.id)
        .limit(limit + 1)
    )
    rows = [QueueEntry(record, ext, title) for record, ext, title in session.execute(query)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1].record.id) if more and rows else None


def resolve(
    session: Session,
    *,
    item_id: int,
    decision: str,
    reviewer: str,
    note: str | None,
    now_ms: int,
) -> TrustRecord:
    """A reviewer's decision on an item: replaces the automatic one, leaves the queue."""
    row = get_record(session, item_id=item_id)
    row.decision = decision
    row.review_state = "resolved"
    row.reviewer = reviewer
    row.note = note
    row.updated_at_ms = now_ms
    session.flush()
    return row


def save_fingerprint(
    session: Session,
    *,
    item_id: int,
    minhash: np.ndarray | None,
    simhash: int | None,
    phashes: Sequence[int],
    now_ms: int,
) -> None:
    """Store (or replace) an item's fingerprints."""
    row = session.get(TrustFingerprint, item_id)
    if row is None:
        row = TrustFingerprint(item_id=item_id, created_at_ms=now_ms)
        session.add(row)
    row.minhash = minhash.astype("<u4").tobytes() if minhash is not None else None
    row.simhash = _to_signed(simhash) if simhash is not None else None
    row.phashes = [f"{value:016x}" for value in phashes]
    session.flush()


@dataclass(frozen=True)
class Fingerprint:
    """An item's stored fingerprints, decoded."""

    item_id: int
    creator_id: int
    minhash: np.ndarray | None
    simhash: int | None
    phashes: list[int]


def fingerprints(session: Session, *, batch: int = 10_000) -> Iterator[Fingerprint]:
    """Every stored fingerprint with its item's creator, in item order."""
    query = (
        select(TrustFingerprint, Item.creator_id)
        .join(Item, Item.id == TrustFingerprint.item_id)
        .order_by(TrustFingerprint.item_id)
        .execution_options(yield_per=batch)
    )
    for row, creator_id in session.execute(query):
        yield Fingerprint(
            item_id=row.item_id,
            creator_id=creator_id,
            minhash=np.frombuffer(row.minhash, dtype="<u4").astype(np.uint32)
            if row.minhash
            else None,
            simhash=_to_unsigned(row.simhash) if row.simhash is not None else None,
            phashes=[int(value, 16) for value in row.phashes],
        )


def unscreened_items(session: Session, *, limit: int = 1000) -> list[str]:
    """External ids of catalog items never screened (no trust record yet, or still held by
    the catalog door because their screening failed), oldest first."""
    query = (
        select(Item.external_id)
        .outerjoin(TrustRecord, TrustRecord.item_id == Item.id)
        .where(TrustRecord.id.is_(None) | (TrustRecord.review_state == "screening"))
        .order_by(Item.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def hold(session: Session, *, item_ids: Sequence[int], now_ms: int) -> None:
    """Record ``review`` / awaiting screening on new items: the gate withholds them."""
    for item_id in item_ids:
        save_record(
            session,
            item_id=item_id,
            decision="review",
            reasons=[AWAITING_SCREENING],
            checks={},
            aigc_status="none",
            label_found=None,
            duplicate_of=None,
            similarity=None,
            review_state="screening",
            now_ms=now_ms,
        )
