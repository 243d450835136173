"""The event log: validated, idempotent batch ingest into the hot log, with post-commit hooks.

Ingest validates every event against the vocabulary in ``core.events``, accepts the valid ones
and reports a per-event error for the rest, creates unknown users on first sight, rejects
events for unknown items, counts duplicates (by client event id) without storing them twice,
and commits before it returns: an acknowledged event is durable.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from laotie.core.clock import Clock, SystemClock
from laotie.core.errors import InvalidInput
from laotie.core.events import (
    EVENT_CODES,
    EVENT_SPECS,
    MAX_AMOUNT_FEN,
    MAX_DURATION_MS,
    MAX_WATCH_MS,
    RATE_MAX,
    RATE_MIN,
)
from laotie.store.db import Database
from laotie.store.repos.catalog import ensure_users, item_ids
from laotie.store.tables import CompactedEventId, Event, StoreMeta

log = logging.getLogger(__name__)

#: earliest and latest event timestamps accepted (2000-01-01 .. 2100-01-01 UTC), in ms
MIN_TS_MS, MAX_TS_MS = 946_684_800_000, 4_102_444_800_000
COMPACTED_UNTIL_KEY = "lake.compacted_until_ms"
_ID = r"^[A-Za-z0-9_.:\-]{1,128}$"
_COLUMNS = (
    "client_event_id, type, user_id, item_id, ts_ms, watch_ms, duration_ms, value, amount_fen, "
    "ref, request_id, device_id, extra, ingested_at_ms"
)


class EventIn(BaseModel):
    """One event as a client sends it; ``id`` is the client event id that makes it idempotent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID, description="client event id, unique per event")
    type: str = Field(description="event type from the vocabulary")
    user_id: str = Field(pattern=_ID)
    item_id: str | None = Field(default=None, pattern=_ID)
    ts_ms: int = Field(ge=MIN_TS_MS, le=MAX_TS_MS, description="when it happened, epoch ms UTC")
    watch_ms: int | None = Field(default=None, ge=0, le=MAX_WATCH_MS)
    duration_ms: int | None = Field(default=None, gt=0, le=MAX_DURATION_MS)
    value: float | None = Field(default=None, allow_inf_nan=False)
    amount_fen: int | None = Field(default=None, ge=0, le=MAX_AMOUNT_FEN)
    ref: str | None = Field(default=None, max_length=128)
    request_id: str | None = Field(default=None, max_length=64)
    device_id: str | None = Field(default=None, max_length=128)
    extra: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _fits_vocabulary(self) -> EventIn:
        spec = EVENT_SPECS.get(self.type)
        if spec is None:
            raise ValueError(
                f"type: unknown event type {self.type!r}; known: {sorted(EVENT_SPECS)}"
            )
        if spec.needs_item and self.item_id is None:
            raise ValueError(f"item_id: a {self.type} event must name an item")
        for name in spec.required:
            if getattr(self, name) is None:
                raise ValueError(f"{name}: a {self.type} event requires {name}")
        if self.type == "rate" and not RATE_MIN <= (self.value or 0.0) <= RATE_MAX:
            raise ValueError(f"value: a rating must be within {RATE_MIN}..{RATE_MAX}")
        return self


_BATCH = TypeAdapter(list[EventIn])


class StoredEvent(NamedTuple):
    """An accepted event as subscribers see it: internal and external ids side by side."""

    client_event_id: str
    type: str
    user_id: int
    user_external_id: str
    item_id: int | None
    item_external_id: str | None
    ts_ms: int
    watch_ms: int | None
    duration_ms: int | None
    value: float | None
    amount_fen: int | None
    ref: str | None
    request_id: str | None
    device_id: str | None


@dataclass
class EventError:
    """Why one event of a batch was rejected."""

    index: int
    id: str | None
    field: str
    message: str


@dataclass
class IngestResult:
    """Counts of a batch: accepted (stored now), duplicate (stored before), rejected."""

    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    errors: list[EventError] = field(default_factory=list)


Subscriber = Callable[[Sequence[StoredEvent]], None]


def _error_field(error: Any) -> tuple[str, str]:
    message = str(error.get("msg", "invalid"))
    loc = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
        name, _, rest = message.partition(": ")
        return name, rest or message
    return (".".join(loc) or "event"), message


class EventLog:
    """The append-only event log (SQLite WAL hot log; PostgreSQL by URL)."""

    def __init__(
        self, db: Database, *, clock: Clock | None = None, max_batch: int = 10_000
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.max_batch = max_batch
        self._users: dict[str, int] = {}
        self._items: dict[str, int] = {}
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback`` with every batch of accepted events, after it is committed."""
        self._subscribers.append(callback)

    def validate(self, raw: Sequence[Any]) -> tuple[list[tuple[int, EventIn]], list[EventError]]:
        """Split a raw batch into valid events (with their batch index) and per-event errors."""
        if len(raw) > self.max_batch:
            raise InvalidInput(
                f"a batch holds at most {self.max_batch} events, got {len(raw)}",
                field="events",
                limit=self.max_batch,
            )
        try:
            return list(enumerate(_BATCH.validate_python(raw))), []
        except ValidationError as exc:
            bad: dict[int, EventError] = {}
            for error in exc.errors():
                index = error["loc"][0] if error["loc"] else 0
                if not isinstance(index, int) or index in bad:
                    continue
                name, message = _error_field({**error, "loc": error["loc"][1:]})
                item = raw[index] if 0 <= index < len(raw) else None
                ident = item.get("id") if isinstance(item, dict) else None
                bad[index] = EventError(
                    index, ident if isinstance(ident, str) else None, name, message
                )
        valid = [(i, EventIn.model_validate(e)) for i, e in enumerate(raw) if i not in bad]
        return valid, sorted(bad.values(), key=lambda e: e.index)

    def ingest(self, raw: Sequence[Any]) -> IngestResult:
        """Validate and store a batch; commit, then notify subscribers. Never half-writes."""
        valid, errors = self.validate(raw)
        result = IngestResult(errors=errors)
        with self._lock:
            stored = self._store(valid, result)
        result.rejected = len(result.errors)
        result.errors.sort(key=lambda e: e.index)
        if stored:
            for callback in self._subscribers:
                try:
                    callback(stored)
                except Exception:  # a hook must never lose acknowledged events
                    log.exception("event subscriber %r failed", callback)
        return result

    def _store(self, valid: list[tuple[int, EventIn]], result: IngestResult) -> list[StoredEvent]:
        seen: set[str] = set()
        unique: list[tuple[int, EventIn]] = []
        for index, event in valid:
            if event.id in seen:
                result.duplicate += 1
            else:
                seen.add(event.id)
                unique.append((index, event))
        if not unique:
            return []
        now = self.clock.now_ms()
        with self.db.session() as session:
            users = self._user_ids(session, [e.user_id for _, e in unique], now)
            items = self._item_ids(session, [e.item_id for _, e in unique if e.item_id])
            unique = self._drop_compacted_duplicates(session, unique, result)
            rows: list[tuple[Any, ...]] = []
            kept: list[EventIn] = []
            for index, event in unique:
                item = items.get(event.item_id) if event.item_id else None
                if event.item_id and item is None:
                    result.errors.append(
                        EventError(index, event.id, "item_id", f"unknown item {event.item_id!r}")
                    )
                    continue
                kept.append(event)
                rows.append(
                    (
                        event.id,
                        EVENT_CODES[event.type],
                        users[event.user_id],
                        item,
                        event.ts_ms,
                        event.watch_ms,
                        event.duration_ms,
                        event.value,
                        event.amount_fen,
                        event.ref,
                        event.request_id,
                        event.device_id,
                        json.dumps(event.extra, ensure_ascii=False) if event.extra else None,
                        now,
                    )
                )
            inserted = self._insert(session, rows)
        # only now, after the commit, may the caches remember new users
        self._users.update(users)
        self._items.update(items)
        stored = [
            StoredEvent(
                e.id,
                e.type,
                users[e.user_id],
                e.user_id,
                items.get(e.item_id) if e.item_id else None,
                e.item_id,
                e.ts_ms,
                e.watch_ms,
                e.duration_ms,
                e.value,
                e.amount_fen,
                e.ref,
                e.request_id,
                e.device_id,
            )
            for e in kept
            if inserted is None or e.id in inserted
        ]
        result.accepted += len(stored)
        result.duplicate += len(kept) - len(stored)
        return stored

    def _insert(self, session: Session, rows: list[tuple[Any, ...]]) -> set[str] | None:
        """Insert rows, skipping known ids; returns the inserted ids, or None when all were new."""
        if not rows:
            return set()
        connection = session.connection()
        if self.db.is_sqlite:
            before = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM events").scalar()
            cursor = connection.exec_driver_sql(
                f"INSERT OR IGNORE INTO events ({_COLUMNS}) VALUES ({', '.join('?' * 14)})", rows
            )
            if cursor.rowcount == len(rows):
                return None
            found = connection.execute(
                text("SELECT client_event_id FROM events WHERE id > :before"), {"before": before}
            )
            return {r[0] for r in found}
        names = [c.strip() for c in _COLUMNS.split(",")]
        statement = pg_insert(Event).on_conflict_do_nothing(index_elements=["client_event_id"])
        ids = [r[0] for r in rows]
        existing = set(
            session.scalars(select(Event.client_event_id).where(Event.client_event_id.in_(ids)))
        )
        fresh = [dict(zip(names, r, strict=True)) for r in rows if r[0] not in existing]
        if fresh:
            session.execute(statement, fresh)
        return {r["client_event_id"] for r in fresh}

    def _drop_compacted_duplicates(
        self, session: Session, events: list[tuple[int, EventIn]], result: IngestResult
    ) -> list[tuple[int, EventIn]]:
        horizon = session.scalar(
            select(StoreMeta.value).where(StoreMeta.key == COMPACTED_UNTIL_KEY)
        )
        if horizon is None:
            return events
        old = [e.id for _, e in events if e.ts_ms < int(horizon)]
        if not old:
            return events
        known: set[str] = set()
        for start in range(0, len(old), 900):
            chunk = old[start : start + 900]
            known.update(
                session.scalars(
                    select(CompactedEventId.client_event_id).where(
                        CompactedEventId.client_event_id.in_(chunk)
                    )
                )
            )
        result.duplicate += sum(1 for _, e in events if e.id in known)
        return [(i, e) for i, e in events if e.id not in known]

    def _user_ids(self, session: Session, external: list[str], now: int) -> dict[str, int]:
        cache = self._users
        missing = {u for u in external if u not in cache}
        found = {u: cache[u] for u in external if u in cache}
        if missing:
            found.update(ensure_users(session, external_ids=missing, created_at_ms=now))
        return found

    def _item_ids(self, session: Session, external: list[str | None]) -> dict[str, int]:
        cache = self._items
        missing = {i for i in external if i is not None and i not in cache}
        found = {i: cache[i] for i in external if i is not None and i in cache}
        if missing:
            found.update(item_ids(session, external_ids=missing))
        return found

    def count(self) -> int:
        """Number of events in the hot log (not yet compacted)."""
        with self.db.session() as session:
            return int(session.execute(text("SELECT count(*) FROM events")).scalar() or 0)
