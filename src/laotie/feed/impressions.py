"""Impressions of served feed entries, buffered off the request path and written to the event
log in batches (``flush`` writes synchronously)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from laotie.core.feedconfig import ServingConfig
from laotie.feed.schemas import AdEntry, FeedEntry
from laotie.feed.store import FeedStore

log = logging.getLogger(__name__)
#: buffered impressions that start a background write
FLUSH_AT = 2000


class ImpressionBuffer:
    """Collects one ``impression`` event per organic entry served, while the serving config
    says ``log_impressions``."""

    def __init__(self, store: FeedStore, *, config: ServingConfig) -> None:
        self.store = store
        self.config = config
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._flushing = False

    def add(
        self,
        *,
        user_id: str,
        request_id: str,
        now_ms: int,
        entries: Sequence[FeedEntry | AdEntry],
    ) -> None:
        """Buffer the impressions of a served page (ads are logged by their own events)."""
        if not self.config.log_impressions:
            return
        events = [
            {
                "id": f"imp-{request_id}-{e.position}",
                "type": "impression",
                "user_id": user_id,
                "item_id": e.id,
                "ts_ms": now_ms,
                "request_id": request_id,
            }
            for e in entries
            if isinstance(e, FeedEntry)
        ]
        with self._pending_lock:
            self._pending.extend(events)
            due = len(self._pending) >= FLUSH_AT and not self._flushing
            if due:
                self._flushing = True
        if due:  # written off the request path
            threading.Thread(target=self._flush_in_background, daemon=True).start()

    def _flush_in_background(self) -> None:
        try:
            self.flush()
        finally:
            self._flushing = False

    def flush(self) -> int:
        """Write buffered impressions to the event log; returns how many were written."""
        with self._pending_lock:
            events, self._pending = self._pending, []
        if events:
            try:
                self.store.log(events)
            except Exception:
                log.exception("could not log %d impressions", len(events))
                return 0
        return len(events)
