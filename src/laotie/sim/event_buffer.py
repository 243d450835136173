"""Simulated sessions' events on their way into the event log: buffered, and ingested in
bounded batches."""

from __future__ import annotations

import logging
from typing import Any

from laotie.core.clock import MS_PER_MINUTE

log = logging.getLogger(__name__)

#: events buffered before one ingest call; a user's own events are always flushed before the
#: feed serves that user again, so only other users see them with this small lag
FLUSH_EVENTS = 2_000
#: ... and never held longer than this much simulated time
FLUSH_AFTER_MS = 5 * MS_PER_MINUTE


class EventBuffer:
    """Sessions' events waiting for ``events.ingest`` (an ``EventLog``)."""

    def __init__(self, events: Any) -> None:
        self.events = events
        self._pending: list[dict[str, Any]] = []
        self._pending_users: set[int] = set()
        self._pending_since_ms = 0

    def must_flush_before(self, user: int, start_ms: int) -> bool:
        """Whether the buffer must reach the log before a session of ``user`` at ``start_ms``:
        their earlier session must be in the log before the feed serves them again, and ad
        events must reach the ads service while their placements are still held."""
        return user in self._pending_users or start_ms - self._pending_since_ms > FLUSH_AFTER_MS

    def add(self, user: int, start_ms: int, events: list[dict[str, Any]]) -> bool:
        """Buffer a session's events; True when the buffer is full and should be flushed."""
        if not self._pending:
            self._pending_since_ms = start_ms
        self._pending.extend(events)
        self._pending_users.add(user)
        return len(self._pending) >= FLUSH_EVENTS

    def flush(self) -> int:
        """Ingest the buffered events in bounded batches; how many the log rejected."""
        limit = self.events.max_batch
        rejected = 0
        for begin in range(0, len(self._pending), limit):
            result = self.events.ingest(self._pending[begin : begin + limit])
            rejected += result.rejected
            if result.rejected:
                log.warning("sim: %d events rejected: %s", result.rejected, result.errors[:3])
        self._pending = []
        self._pending_users = set()
        return rejected
