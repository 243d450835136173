"""The event log: validated, idempotent batch ingest into the hot log, then its subscribers.

Ingest validates every event against the vocabulary in ``core.events`` (``eventschema``),
accepts the valid ones and reports a per-event error for the rest, creates unknown users on
first sight, rejects events for unknown items, counts duplicates (by client event id) without
storing them twice, and commits before it returns: an acknowledged event is durable. The
committed batch then goes to the event bus (``delivery``), which hands it to the subscribers
at least once, in the caller's thread or, in a server, in the background. The SQL of the
``events`` table itself (inserts, compacted ids, reading back) is ``eventrows``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.orm import Session

from laotie.core.clock import Clock, SystemClock
from laotie.core.errors import InvalidInput
from laotie.core.events import EVENT_CODES
from laotie.store import eventrows
from laotie.store.db import Database
from laotie.store.delivery import Batch, EventBus, EventQueue, StoredEvent, Subscription
from laotie.store.eventrows import new_stored
from laotie.store.eventschema import EventError, bounded_adapters, check_vocabulary, validate_batch
from laotie.store.repos.catalog import ensure_users, item_ids

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
#: JSON values (counted by separators and containers) a batch body may hold per event it may
#: hold: an event has up to 13 fields and a small ``extra``; this bounds what parsing costs
VALUES_PER_EVENT = 32
#: entries kept in each id cache before it is cleared (bounds memory on huge imports)
CACHE_LIMIT = 1_000_000


@dataclass
class IngestResult:
    """Counts of a batch: accepted (stored now), duplicate (stored before), rejected."""

    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    errors: list[EventError] = field(default_factory=list)


def _remember(cache: dict[str, int], fresh: dict[str, int]) -> None:
    if len(cache) + len(fresh) > CACHE_LIMIT:
        cache.clear()
    cache.update(fresh)


class EventLog:
    """The append-only event log (SQLite WAL hot log; PostgreSQL by URL).

    Committed batches go to ``bus``; with ``inline`` (the default) the log drains the bus
    in the ingesting thread before it returns, so the subscribers' work is done by then (the
    simulator, tests and CLI imports); ``deliver_in_background`` moves it off the request.
    """

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock | None = None,
        max_batch: int = 10_000,
        bus: EventBus | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.max_batch = max_batch
        self._array, self._wrapped = bounded_adapters(max_batch)
        self._users: dict[str, int] = {}
        self._items: dict[str, int] = {}
        self.bus: EventBus = bus or EventQueue(db, read_after=self.read_after, head=self.head)
        self.inline = True
        self._hooks = False
        self._lock = threading.Lock()

    def subscribe(self, subscription: Subscription) -> None:
        """Hand ``subscription`` every committed batch after its stored cursor."""
        self.bus.add(subscription)
        self._hooks = True

    def deliver_in_background(self) -> None:
        """Let ingest return on commit; the bus delivers from its own thread from now on."""
        if isinstance(self.bus, EventQueue):
            self.bus.start()
        self.inline = False

    def drain(self) -> int:
        """Deliver everything committed so far to every subscriber, in this thread."""
        return self.bus.drain()

    def close(self) -> None:
        """Deliver what is pending and stop background delivery."""
        self.bus.close()

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
        return validate_batch(raw)

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
        checked = check_vocabulary(list(enumerate(events)), {})
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

        def attempt() -> tuple[IngestResult, Batch | None]:
            fresh = IngestResult(errors=list(errors))
            return fresh, self._store(valid, fresh)

        with self._lock:
            # PostgreSQL may abort one of two processes inserting the same ids in crossed
            # orders (a deadlock): the batch is then stored again from the start
            result, batch = self.db.retrying(attempt)
            if batch is not None:  # under the lock: batches reach the bus in row-id order
                self.bus.publish(batch)
        result.rejected = len(result.errors)
        result.errors.sort(key=lambda e: e.index)
        if batch is not None and self.inline:
            self.bus.drain()
        return result

    def _store(self, valid: list[tuple[int, dict[str, Any]]], result: IngestResult) -> Batch | None:
        """Write the new events in one transaction; the committed batch, when anyone listens."""
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
            return None
        now = self.clock.now_ms()
        codes = EVENT_CODES
        user_cache, item_cache = self._users, self._items
        with self.db.session() as session:
            # ids not in the caches yet; the row loop reads the caches first (ids are >= 1)
            if unique is not valid:
                events = list(map(_SECOND, unique))
            users = self._user_ids(session, set(map(_GET_USER, events)), now)
            items = self._item_ids(session, set(map(_GET_ITEM, events)) - {None})
            unique, compacted = eventrows.drop_compacted(session, unique, sqlite=self.db.is_sqlite)
            result.duplicate += compacted
            rows: list[tuple[Any, ...]] = []
            stored: list[StoredEvent] = []
            hooks = self._hooks
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
                    stored.append(new_stored(fields))
            if self.db.is_sqlite and rows:
                # take the write lock first (a write that changes nothing): no other process
                # can insert between reading the high-water id and our insert, so the rows
                # above it are exactly ours, even with several processes on one file
                session.connection().exec_driver_sql("UPDATE events SET id = id WHERE 0")
            before = eventrows.max_id(session)
            inserted = eventrows.insert_rows(session, rows, before, sqlite=self.db.is_sqlite)
            last = eventrows.max_id(session) if hooks else before
        # only now, after the commit, may the caches remember new users
        _remember(self._users, users)
        _remember(self._items, items)
        accepted = len(rows) if inserted is None else len(inserted)
        result.accepted += accepted
        result.duplicate += len(rows) - accepted
        if not hooks or last == before:
            return None
        if inserted is not None:
            stored = [e for e in stored if e.client_event_id in inserted]
        return Batch(before + 1, last, stored)

    def _user_ids(self, session: Session, external: set[str], now: int) -> dict[str, int]:
        """Ids of the users among ``external`` that the cache lacks (created when new)."""
        missing = external - self._users.keys()
        if not missing:
            return {}
        if self.db.is_sqlite:
            return eventrows.sqlite_ensure_users(session, missing, now)
        return ensure_users(session, external_ids=missing, created_at_ms=now)

    def _item_ids(self, session: Session, external: set[str]) -> dict[str, int]:
        """Ids of the known items among ``external`` that the cache lacks."""
        missing = external - self._items.keys()
        if not missing:
            return {}
        if self.db.is_sqlite:
            return eventrows.sqlite_ids(session, "items", missing)
        return item_ids(session, external_ids=missing)

    def count(self) -> int:
        """Number of events in the hot log (not yet compacted)."""
        with self.db.session() as session:
            return int(session.execute(text("SELECT count(*) FROM events")).scalar() or 0)

    def head(self) -> int:
        """The highest row id in the hot log (0 when empty): where a new subscriber starts."""
        with self.db.session() as session:
            return eventrows.max_id(session)

    def read_after(self, after: int, upto: int, limit: int) -> Batch:
        """Committed events with ``after < id <= upto`` in log order, at most ``limit``: how a
        subscriber that fell behind (or was down) catches up from the hot log."""
        with self.db.session() as session:
            return eventrows.read_after(session, after, upto, limit)
