"""The hot event log and the registry of compacted lake parts."""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class Event(Base):
    """One acknowledged event. ``type`` is the code from ``core.events.EVENT_CODES``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_ts", "ts_ms"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_event_id: Mapped[str] = mapped_column(String(128), unique=True)
    type: Mapped[int] = mapped_column(SmallInteger)
    user_id: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int | None] = mapped_column(Integer)
    ts_ms: Mapped[int]
    watch_ms: Mapped[int | None]
    duration_ms: Mapped[int | None]
    value: Mapped[float | None] = mapped_column(Float)
    amount_fen: Mapped[int | None]
    ref: Mapped[str | None] = mapped_column(String(128))
    request_id: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[str | None] = mapped_column(String(128))
    extra: Mapped[str | None] = mapped_column(Text)
    ingested_at_ms: Mapped[int]


class LakePart(Base):
    """A Parquet file of compacted events; only registered parts are read."""

    __tablename__ = "lake_parts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), index=True)
    path: Mapped[str] = mapped_column(String(500), unique=True)
    rows: Mapped[int]
    min_event_id: Mapped[int]
    max_event_id: Mapped[int]
    created_at_ms: Mapped[int]


class CompactedEventId(Base):
    """Client event ids of events moved to the lake, so late duplicates stay duplicates."""

    __tablename__ = "compacted_event_ids"
    client_event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    ts_ms: Mapped[int]


class StoreMeta(Base):
    """Small key/value facts about the store (e.g. the lake's compaction horizon)."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
