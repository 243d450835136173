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
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Annotated, Any, NamedTuple, NotRequired

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from typing_extensions import TypedDict

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

#: earliest and latest event timestamps accepted (1990-01-01 .. 2100-01-01 UTC), in ms;
#: public datasets reach back to the 1990s (MovieLens ratings start in 1995)
MIN_TS_MS, MAX_TS_MS = 631_152_000_000, 4_102_444_800_000
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
    user_id: str = Field(pattern=_ID, description="external user id; new users are created")
    item_id: str | None = Field(
        default=None, pattern=_ID, description="external item id; the item must exist"
    )
    ts_ms: int = Field(ge=MIN_TS_MS, le=MAX_TS_MS, description="when it happened, epoch ms UTC")
    watch_ms: int | None = Field(
        default=None, ge=0, le=MAX_WATCH_MS, description="time watched, ms (watch)"
    )
    duration_ms: int | None = Field(
        default=None, gt=0, le=MAX_DURATION_MS, description="the item's length, ms (watch)"
    )
    value: float | None = Field(
        default=None, allow_inf_nan=False, description="rating 0..10 (rate) or a type's number"
    )
    amount_fen: int | None = Field(
        default=None, ge=0, le=MAX_AMOUNT_FEN, description="money in fen (purchase)"
    )
    ref: str | None = Field(
        default=None, max_length=128, description="related id, e.g. the ad impression"
    )
    request_id: str | None = Field(
        default=None, max_length=64, description="the feed request that showed the item"
    )
    device_id: str | None = Field(default=None, max_length=128, description="client device")
    extra: dict[str, Any] | None = Field(default=None, description="free-form JSON object")

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


_Id = Annotated[str, Field(pattern=_ID)]


class _RawEvent(TypedDict):
    """The same fields and limits as ``EventIn``, validated into plain dicts (no model objects).

    Ingest uses this for speed; every optional field defaults to None so a validated event has
    all 13 keys. The vocabulary rules of ``EventIn._fits_vocabulary`` are then applied by
    ``_vocabulary_error``; ``tests/store/test_ingest_validation.py`` keeps the two in step.
    """

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]
    id: _Id
    type: str
    user_id: _Id
    item_id: NotRequired[Annotated[_Id | None, Field(default=None)]]
    ts_ms: Annotated[int, Field(ge=MIN_TS_MS, le=MAX_TS_MS)]
    watch_ms: NotRequired[Annotated[int | None, Field(default=None, ge=0, le=MAX_WATCH_MS)]]
    duration_ms: NotRequired[Annotated[int | None, Field(default=None, gt=0, le=MAX_DURATION_MS)]]
    value: NotRequired[Annotated[float | None, Field(default=None, allow_inf_nan=False)]]
    amount_fen: NotRequired[Annotated[int | None, Field(default=None, ge=0, le=MAX_AMOUNT_FEN)]]
    ref: NotRequired[Annotated[str | None, Field(default=None, max_length=128)]]
    request_id: NotRequired[Annotated[str | None, Field(default=None, max_length=64)]]
    device_id: NotRequired[Annotated[str | None, Field(default=None, max_length=128)]]
    extra: NotRequired[Annotated[dict[str, Any] | None, Field(default=None)]]


#: a validated event's fields in row order, fetched in one call
_FIELDS = itemgetter(
    "id",
    "type",
    "user_id",
    "item_id",
    "ts_ms",
    "watch_ms",
    "duration_ms",
    "value",
    "amount_fen",
    "ref",
    "request_id",
    "device_id",
    "extra",
)
_SECOND = itemgetter(1)
_GET_ID, _GET_USER, _GET_ITEM = itemgetter("id"), itemgetter("user_id"), itemgetter("item_id")
_BATCH: TypeAdapter[Any] = TypeAdapter(list[_RawEvent])


def _bounded(max_batch: int) -> tuple[TypeAdapter[Any], TypeAdapter[Any]]:
    """Adapters for a JSON array of events and ``{"events": [...]}``, at most ``max_batch``
    events: a longer array is refused as too long instead of building an error per item."""
    events = Annotated[list[_RawEvent], Field(max_length=max_batch)]

    class Wrapped(TypedDict):
        events: events  # type: ignore[valid-type]

    return TypeAdapter(events), TypeAdapter(Wrapped)


#: per event type: (must name an item, the fields it requires)
_RULES = {name: (spec.needs_item, spec.required) for name, spec in EVENT_SPECS.items()}
#: JSON values (counted by separators and containers) a batch body may hold per event it may
#: hold: an event has up to 13 fields and a small ``extra``; this bounds what parsing costs
VALUES_PER_EVENT = 32
#: entries kept in each id cache before it is cleared (bounds memory on huge imports)
CACHE_LIMIT = 1_000_000
#: ids per lookup statement (SQLite allows 32,766 variables since 3.32)
_LOOKUP_CHUNK = 30_000


#: types whose only rule is naming an item (no required fields, no value range)
_PLAIN_TYPES = frozenset(
    name for name, spec in EVENT_SPECS.items() if spec.needs_item and not spec.required
) - {"rate"}


def _vocabulary_error(event: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) when ``event`` breaks the vocabulary rules, else None."""
    kind = event["type"]
    rule = _RULES.get(kind)
    if rule is None:
        return "type", f"unknown event type {kind!r}; known: {sorted(EVENT_SPECS)}"
    needs_item, required = rule
    if needs_item and event["item_id"] is None:
        return "item_id", f"a {kind} event must name an item"
    for name in required:
        if event[name] is None:
            return name, f"a {kind} event requires {name}"
    if kind == "rate" and not RATE_MIN <= event["value"] <= RATE_MAX:
        return "value", f"a rating must be within {RATE_MIN}..{RATE_MAX}"
    return None


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


def _raw_id(raw: Sequence[Any], index: int) -> str | None:
    item = raw[index] if 0 <= index < len(raw) else None
    ident = item.get("id") if isinstance(item, dict) else None
    return ident if isinstance(ident, str) else None


def _remember(cache: dict[str, int], fresh: dict[str, int]) -> None:
    if len(cache) + len(fresh) > CACHE_LIMIT:
        cache.clear()
    cache.update(fresh)


#: builds a StoredEvent from a tuple without the Python-level NamedTuple constructor
_new_stored = partial(tuple.__new__, StoredEvent)


def _sqlite_ids(session: Session, table: str, external: Collection[str]) -> dict[str, int]:
    """external id -> internal id of the rows of ``table`` among ``external`` (few statements)."""
    connection = session.connection()
    wanted = list(external)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        chunk = tuple(wanted[start : start + _LOOKUP_CHUNK])
        marks = ", ".join("?" * len(chunk))
        rows = connection.exec_driver_sql(
            f"SELECT external_id, id FROM {table} WHERE external_id IN ({marks})", chunk
        )
        found.update((ext, rid) for ext, rid in rows)
    return found


def _sqlite_ensure_users(session: Session, external: set[str], now: int) -> dict[str, int]:
    """Like ``repos.catalog.ensure_users``, in two plain statements instead of ORM inserts."""
    found = _sqlite_ids(session, "users", external)
    missing = sorted(external - found.keys())
    if missing:
        session.connection().exec_driver_sql(
            "INSERT OR IGNORE INTO users (external_id, attrs, created_at_ms) VALUES (?, '{}', ?)",
            [(user, now) for user in missing],
        )
        found.update(_sqlite_ids(session, "users", missing))
    return found


class EventLog:
    """The append-only event log (SQLite WAL hot log; PostgreSQL by URL)."""

    def __init__(
        self, db: Database, *, clock: Clock | None = None, max_batch: int = 10_000
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.max_batch = max_batch
        self._array, self._wrapped = _bounded(max_batch)
        self._users: dict[str, int] = {}
        self._items: dict[str, int] = {}
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> None:
        """Call ``callback`` with every batch of accepted events, after it is committed."""
        self._subscribers.append(callback)

    def _check_size(self, count: int) -> None:
        if count > self.max_batch:
            raise InvalidInput(
                f"a batch holds at most {self.max_batch} events, got {count}",
                field="events",
                limit=self.max_batch,
            )

    def validate(
        self, raw: Sequence[Any]
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[EventError]]:
        """Split a raw batch into valid events (dicts, with their batch index) and errors."""
        self._check_size(len(raw))
        bad: dict[int, EventError] = {}
        try:
            checked = list(enumerate(_BATCH.validate_python(raw)))
        except ValidationError as exc:
            for error in exc.errors():
                index = error["loc"][0] if error["loc"] else 0
                if not isinstance(index, int) or index in bad:
                    continue
                name, message = _error_field({**error, "loc": error["loc"][1:]})
                bad[index] = EventError(index, _raw_id(raw, index), name, message)
            keep = [i for i in range(len(raw)) if i not in bad]
            checked = list(zip(keep, _BATCH.validate_python([raw[i] for i in keep]), strict=True))
        return self._check_vocabulary(checked, bad)

    def _check_vocabulary(
        self, checked: list[tuple[int, dict[str, Any]]], bad: dict[int, EventError]
    ) -> tuple[list[tuple[int, dict[str, Any]]], list[EventError]]:
        plain = _PLAIN_TYPES
        # fast path: types that only need an item, and have one (most of the log)
        valid = [(i, e) for i, e in checked if e["type"] in plain and e["item_id"] is not None]
        if len(valid) < len(checked):
            for index, event in checked:
                if event["type"] in plain and event["item_id"] is not None:
                    continue
                problem = _vocabulary_error(event)
                if problem is None:
                    valid.append((index, event))
                else:
                    bad[index] = EventError(index, event["id"], *problem)
            valid.sort(key=itemgetter(0))  # batch order, which the log keeps
        return valid, sorted(bad.values(), key=lambda e: e.index)

    def ingest(self, raw: Sequence[Any], *, user_id: str | None = None) -> IngestResult:
        """Validate and store a batch; commit, then notify subscribers. Never half-writes.

        ``user_id`` (a person key's user) rejects every event of another user."""
        return self._ingest_valid(*self.validate(raw), user_id=user_id)

    def ingest_json(self, body: bytes, *, user_id: str | None = None) -> IngestResult | None:
        """``ingest`` for a JSON array of events (or ``{"events": [...]}``), parsed and
        validated in one pass.

        Returns None when the body is not a batch of well-formed events; the caller then
        parses it and calls ``ingest``, which reports every bad event by index. A batch over
        ``max_batch`` events is refused here, before a Python object is built per item.
        """
        values = body.count(b",") + body.count(b"{") + body.count(b"[")
        if values > self.max_batch * VALUES_PER_EVENT:
            # refused before parsing: a million tiny values would cost hundreds of MB to parse
            raise InvalidInput(
                f"a batch holds at most {self.max_batch} events of at most {VALUES_PER_EVENT} "
                f"JSON values each; this body has about {values}",
                field="events",
                limit=self.max_batch * VALUES_PER_EVENT,
            )
        wrapped = body.lstrip()[:1] == b"{"
        try:
            parsed = (self._wrapped if wrapped else self._array).validate_json(body)
        except ValidationError as exc:
            if any(e["type"] == "too_long" for e in exc.errors(include_input=False)):
                self._check_size(self.max_batch + 1)
            return None
        except ValueError:
            return None
        events = parsed["events"] if wrapped else parsed
        checked = self._check_vocabulary(list(enumerate(events)), {})
        return self._ingest_valid(*checked, user_id=user_id)

    def _ingest_valid(
        self,
        valid: list[tuple[int, dict[str, Any]]],
        errors: list[EventError],
        *,
        user_id: str | None = None,
    ) -> IngestResult:
        if user_id is not None:
            others = [(i, e) for i, e in valid if e["user_id"] != user_id]
            if others:
                message = f"this key sends only its own user's events ({user_id!r})"
                errors = errors + [EventError(i, e["id"], "user_id", message) for i, e in others]
                valid = [(i, e) for i, e in valid if e["user_id"] == user_id]

        def attempt() -> tuple[IngestResult, list[StoredEvent]]:
            fresh = IngestResult(errors=list(errors))
            return fresh, self._store(valid, fresh)

        with self._lock:
            # PostgreSQL may abort one of two processes inserting the same ids in crossed
            # orders (a deadlock): the batch is then stored again from the start
            result, stored = self.db.retrying(attempt)
        result.rejected = len(result.errors)
        result.errors.sort(key=lambda e: e.index)
        if stored:
            for callback in self._subscribers:
                try:
                    callback(stored)
                except Exception:  # a hook must never lose acknowledged events
                    log.exception("event subscriber %r failed", callback)
        return result

    def _store(
        self, valid: list[tuple[int, dict[str, Any]]], result: IngestResult
    ) -> list[StoredEvent]:
        unique = valid
        events = list(map(_SECOND, valid))  # C-level passes (map, itemgetter) from here on
        if len(set(map(_GET_ID, events))) < len(valid):
            seen: set[str] = set()
            unique = []
            for index, event in valid:
                if event["id"] in seen:
                    result.duplicate += 1
                else:
                    seen.add(event["id"])
                    unique.append((index, event))
        if not unique:
            return []
        now = self.clock.now_ms()
        codes = EVENT_CODES
        user_cache, item_cache = self._users, self._items
        with self.db.session() as session:
            # ids not in the caches yet; the row loop reads the caches first (ids are >= 1)
            if unique is not valid:
                events = list(map(_SECOND, unique))
            users = self._user_ids(session, set(map(_GET_USER, events)), now)
            items = self._item_ids(session, set(map(_GET_ITEM, events)) - {None})
            unique = self._drop_compacted_duplicates(session, unique, result)
            rows: list[tuple[Any, ...]] = []
            stored: list[StoredEvent] = []
            hooks = bool(self._subscribers)
            for index, event in unique:
                (ident, kind, user, item_external, ts_ms, watch_ms, duration_ms, value,
                 amount_fen, ref, request_id, device_id, extra) = _FIELDS(event)  # fmt: skip
                item = None
                if item_external is not None:
                    item = item_cache.get(item_external) or items.get(item_external)
                    if item is None:
                        result.errors.append(
                            EventError(index, ident, "item_id", f"unknown item {item_external!r}")
                        )
                        continue
                user_pk = user_cache.get(user) or users[user]
                rows.append(
                    (
                        ident,
                        codes[kind],
                        user_pk,
                        item,
                        ts_ms,
                        watch_ms,
                        duration_ms,
                        value,
                        amount_fen,
                        ref,
                        request_id,
                        device_id,
                        json.dumps(extra, ensure_ascii=False) if extra else None,
                        now,
                    )
                )
                if hooks:
                    fields = (ident, kind, user_pk, user, item, item_external, ts_ms, watch_ms,
                            duration_ms, value, amount_fen, ref, request_id, device_id)  # fmt: skip
                    stored.append(_new_stored(fields))
            inserted = self._insert(session, rows)
        # only now, after the commit, may the caches remember new users
        _remember(self._users, users)
        _remember(self._items, items)
        accepted = len(rows) if inserted is None else len(inserted)
        result.accepted += accepted
        result.duplicate += len(rows) - accepted
        if inserted is None:
            return stored
        return [e for e in stored if e.client_event_id in inserted]

    def _insert(self, session: Session, rows: list[tuple[Any, ...]]) -> set[str] | None:
        """Insert rows, skipping known ids; returns the inserted ids, or None when all were new."""
        if not rows:
            return set()
        connection = session.connection()
        if self.db.is_sqlite:
            # take the write lock first (a write that changes nothing): no other process can
            # insert between reading the high-water id and our insert, so the rows above it
            # are exactly ours, even with several processes on one file
            connection.exec_driver_sql("UPDATE events SET id = id WHERE 0")
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
        # RETURNING names the rows this transaction inserted: a concurrent writer's copy of an
        # id (another process, same batch) is skipped here and reported as a duplicate
        statement = (
            pg_insert(Event)
            .on_conflict_do_nothing(index_elements=["client_event_id"])
            .returning(Event.client_event_id)
        )
        fresh = [dict(zip(names, r, strict=True)) for r in rows]
        return set(session.scalars(statement, fresh))

    def _drop_compacted_duplicates(
        self, session: Session, events: list[tuple[int, dict[str, Any]]], result: IngestResult
    ) -> list[tuple[int, dict[str, Any]]]:
        """Drop events whose id was compacted to the lake already, whatever their ts_ms: an
        event id is accepted once across hot log and lake."""
        horizon = session.scalar(
            select(StoreMeta.value).where(StoreMeta.key == COMPACTED_UNTIL_KEY)
        )
        if horizon is None:
            return events
        ids = [e["id"] for _, e in events]
        known: set[str] = set()
        if self.db.is_sqlite:
            connection = session.connection()
            for start in range(0, len(ids), _LOOKUP_CHUNK):
                chunk = tuple(ids[start : start + _LOOKUP_CHUNK])
                marks = ", ".join("?" * len(chunk))
                rows = connection.exec_driver_sql(
                    "SELECT client_event_id FROM compacted_event_ids "
                    f"WHERE client_event_id IN ({marks})",
                    chunk,
                )
                known.update(r[0] for r in rows)
        else:
            for start in range(0, len(ids), 900):
                known.update(
                    session.scalars(
                        select(CompactedEventId.client_event_id).where(
                            CompactedEventId.client_event_id.in_(ids[start : start + 900])
                        )
                    )
                )
        if not known:
            return events
        result.duplicate += sum(1 for _, e in events if e["id"] in known)
        return [(i, e) for i, e in events if e["id"] not in known]

    def _user_ids(self, session: Session, external: set[str], now: int) -> dict[str, int]:
        """Ids of the users among ``external`` that the cache lacks (created when new)."""
        missing = external - self._users.keys()
        if not missing:
            return {}
        if self.db.is_sqlite:
            return _sqlite_ensure_users(session, missing, now)
        return ensure_users(session, external_ids=missing, created_at_ms=now)

    def _item_ids(self, session: Session, external: set[str]) -> dict[str, int]:
        """Ids of the known items among ``external`` that the cache lacks."""
        missing = external - self._items.keys()
        if not missing:
            return {}
        if self.db.is_sqlite:
            return _sqlite_ids(session, "items", missing)
        return item_ids(session, external_ids=missing)

    def count(self) -> int:
        """Number of events in the hot log (not yet compacted)."""
        with self.db.session() as session:
            return int(session.execute(text("SELECT count(*) FROM events")).scalar() or 0)
