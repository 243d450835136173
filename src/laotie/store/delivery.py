"""Delivery of committed events to the areas' subscribers: in log order, at least once.

The event log commits a batch, acknowledges it, and hands it to an ``EventQueue`` as a
``Batch`` (the batch's row ids in the ``events`` table and its ``StoredEvent``s). Each
subscriber has a cursor, the highest row id it has handled, kept in ``store_meta`` under
``events.cursor.<name>``; a batch at or below the cursor is never handed to it again in this
process (the row id is the event's sequence number, which makes delivery idempotent), and a
subscriber that raises keeps the batch and gets it again on the next drain. A restarted
process resumes each subscriber from its stored cursor, reading what it missed from the hot
log, so an acknowledged event is not lost to a subscriber that was down; handlers must
therefore be idempotent themselves (ads charging records each (kind, impression id) once).

Who drains decides where the work runs: ``start()`` runs a background thread that drains
whenever a batch arrives (a server: the request returns before charging and feed updates),
``drain()`` runs everything pending in the caller's thread (simulator, tests, CLI imports:
reproducible, no thread timing). ``EventBus`` is the seam: a broker-backed bus (Redis Streams,
NATS) implements the same four methods and the areas do not change.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from sqlalchemy import select

from laotie.store.db import Database
from laotie.store.tables import StoreMeta

log = logging.getLogger(__name__)

CURSOR_KEY = "events.cursor.{name}"
#: events read from the hot log per catch-up step of a subscriber behind the in-memory tail
CATCH_UP_EVENTS = 50_000
#: events kept in memory per subscriber; beyond it the oldest batches are dropped and the
#: subscriber catches up from the hot log instead
MAX_PENDING_EVENTS = 1_000_000
#: seconds the background thread waits before retrying a subscriber that failed
RETRY_S = 1.0


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


class Batch(NamedTuple):
    """Committed events with the range of ``events`` row ids they were written under."""

    first_id: int
    last_id: int
    events: Sequence[StoredEvent]


#: reads committed events with ``after < id <= upto`` (at most ``limit``) from the hot log
ReadAfter = Callable[[int, int, int], Batch]


class Handler(Protocol):
    """What a subscriber does with a batch of committed events, in log order."""

    def __call__(self, events: Sequence[StoredEvent], /) -> object: ...


@dataclass(frozen=True)
class Subscription:
    """A named subscriber: ``handle`` gets the committed events whose type is in ``types``
    (all types when None); the name keys its cursor, so it must stay stable."""

    name: str
    handle: Handler
    types: frozenset[str] | None = None


class EventBus(Protocol):
    """Where committed batches go and how subscribers get them (in process, or a broker)."""

    def add(self, subscription: Subscription) -> None:
        """Register a subscriber; it resumes after its stored cursor."""

    def publish(self, batch: Batch) -> None:
        """Take a committed batch; it must not block on the subscribers' work."""

    def drain(self) -> int:
        """Deliver everything pending now, in the caller's thread; events handed out."""

    def close(self) -> None:
        """Stop background delivery after a last drain."""


@dataclass
class _Lane:
    """One subscriber's place: its cursor, the batches it has yet to handle, the log head."""

    subscription: Subscription
    cursor: int
    head: int
    pending: deque[Batch] = field(default_factory=deque)
    pending_events: int = 0
    failed: bool = False


class EventQueue:
    """The in-process ``EventBus``: per-subscriber lanes, cursors in ``store_meta``."""

    def __init__(self, db: Database, *, read_after: ReadAfter, head: Callable[[], int]) -> None:
        self.db = db
        self._read_after = read_after
        self._head = head
        self._lanes: list[_Lane] = []
        self._lock = threading.Lock()  # guards the lanes' pending deques
        self._deliver = threading.Lock()  # one drain at a time, so each lane stays in order
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def subscriptions(self) -> list[Subscription]:
        """The registered subscribers, in registration order."""
        return [lane.subscription for lane in self._lanes]

    def add(self, subscription: Subscription) -> None:
        """Register a subscriber; it resumes after its stored cursor (a new one at the head)."""
        if any(lane.subscription.name == subscription.name for lane in self._lanes):
            raise ValueError(f"an event subscriber named {subscription.name!r} exists already")
        head = self._head()
        with self.db.session() as session:
            stored = session.scalar(
                select(StoreMeta.value).where(StoreMeta.key == _key(subscription))
            )
        cursor = int(stored) if stored is not None else head
        if stored is None:
            self._save(subscription, cursor)
        with self._lock:
            self._lanes.append(_Lane(subscription, cursor=cursor, head=head))

    def publish(self, batch: Batch) -> None:
        """Queue a committed batch for every subscriber and wake the background thread."""
        with self._lock:
            for lane in self._lanes:
                lane.head = max(lane.head, batch.last_id)
                lane.pending.append(batch)
                lane.pending_events += len(batch.events)
                while lane.pending_events > MAX_PENDING_EVENTS and len(lane.pending) > 1:
                    dropped = lane.pending.popleft()  # caught up from the hot log instead
                    lane.pending_events -= len(dropped.events)
        self._wake.set()

    @property
    def lag(self) -> dict[str, int]:
        """Per subscriber: how many row ids it is behind the newest batch it knows of."""
        with self._lock:
            return {lane.subscription.name: lane.head - lane.cursor for lane in self._lanes}

    def drain(self) -> int:
        """Deliver every pending batch to every subscriber in the caller's thread; a failing
        subscriber keeps its batch for the next drain. Returns the events handed out."""
        with self._deliver:
            return sum(self._drain_lane(lane) for lane in self._lanes)

    def start(self) -> None:
        """Deliver from a background thread from now on (retrying failures every RETRY_S)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="laotie-events", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the background thread after it has delivered what is pending."""
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join()
            self._thread = None
        self.drain()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            self.drain()
            if any(lane.failed for lane in self._lanes) and not self._stop.wait(RETRY_S):
                self._wake.set()

    def _drain_lane(self, lane: _Lane) -> int:
        handed = 0
        start = lane.cursor
        lane.failed = False
        subscription = lane.subscription
        while (batch := self._next(lane)) is not None:
            events = batch.events
            if subscription.types is not None:
                events = [e for e in events if e.type in subscription.types]
            try:
                if events:
                    subscription.handle(events)
            except Exception:  # kept: the batch is handed out again on the next drain
                log.exception("event subscriber %r failed; retried later", subscription.name)
                lane.failed = True
                break
            handed += len(events)
            self._advance(lane, batch)
        if lane.cursor != start:  # once a drain: a crash before it redelivers, never skips
            self._save(subscription, lane.cursor)
        return handed

    def _next(self, lane: _Lane) -> Batch | None:
        """The lane's next batch: from memory when it follows the cursor, else the hot log."""
        with self._lock:
            while lane.pending and lane.pending[0].last_id <= lane.cursor:
                lane.pending_events -= len(lane.pending.popleft().events)
            if lane.pending and lane.pending[0].first_id <= lane.cursor + 1:
                return lane.pending[0]
            upto = lane.pending[0].first_id - 1 if lane.pending else lane.head
        if upto <= lane.cursor:
            return None
        batch = self._read_after(lane.cursor, upto, CATCH_UP_EVENTS)
        if not batch.events:  # a gap in the row ids (rolled back or compacted): skip it
            return Batch(lane.cursor + 1, upto, ())
        return batch

    def _advance(self, lane: _Lane, batch: Batch) -> None:
        with self._lock:
            if lane.pending and lane.pending[0] is batch:
                lane.pending.popleft()
                lane.pending_events -= len(batch.events)
            lane.cursor = max(lane.cursor, batch.last_id)

    def _save(self, subscription: Subscription, cursor: int) -> None:
        with self.db.session() as session:
            session.merge(StoreMeta(key=_key(subscription), value=str(cursor)))


def _key(subscription: Subscription) -> str:
    return CURSOR_KEY.format(name=subscription.name)
