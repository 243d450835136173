"""Trust tables: the gate's current decision per item and each item's fingerprints."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class TrustRecord(Base):
    """The trust gate's decision on one item, with its reasons and the checks behind it.

    ``review_state`` is ``none`` (decided automatically), ``pending`` (in the review queue)
    or ``resolved`` (a reviewer decided). ``duplicate_of`` links a re-upload to the original.
    """

    __tablename__ = "trust_records"
    __table_args__ = (Index("ix_trust_records_review", "review_state", "created_at_ms"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(default=list)
    checks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    aigc_status: Mapped[str] = mapped_column(String(16), default="none")
    label_found: Mapped[dict[str, Any] | None] = mapped_column(default=None, nullable=True)
    duplicate_of: Mapped[int | None] = mapped_column(ForeignKey("items.id"), nullable=True)
    similarity: Mapped[float | None] = mapped_column(Float, nullable=True)
    review_state: Mapped[str] = mapped_column(String(16), default="none")
    reviewer: Mapped[str | None] = mapped_column(String(128), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at_ms: Mapped[int]
    updated_at_ms: Mapped[int]


class TrustFingerprint(Base):
    """An item's near-duplicate fingerprints: text MinHash (uint32 bytes), SimHash, pHashes."""

    __tablename__ = "trust_fingerprints"
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), primary_key=True)
    minhash: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    simhash: Mapped[int | None] = mapped_column(nullable=True)
    phashes: Mapped[list[str]] = mapped_column(default=list)
    created_at_ms: Mapped[int]
