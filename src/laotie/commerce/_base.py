"""What every commerce part shares: the database, the clock, the day boundary, the event log."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from laotie.core.clock import Clock, day_label
from laotie.store.db import Database

log = logging.getLogger(__name__)


class Area:
    """A commerce part bound to a database and a clock (days in ``timezone``); ``emit``
    (e.g. ``EventLog.ingest``) receives the purchase events it logs after each commit."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        timezone: str = "UTC",
        emit: Callable[[Sequence[dict[str, Any]]], Any] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.timezone = timezone
        self._emit = emit

    def stamp(self) -> tuple[int, str]:
        """Now, as (epoch ms, local day label)."""
        ts_ms = self.clock.now_ms()
        return ts_ms, day_label(ts_ms, self.timezone)

    def emit(self, events: Sequence[dict[str, Any]]) -> None:
        """Log committed money movements as events; the ledger, not the log, is the record
        of money, so a failure here is logged and not raised."""
        if self._emit is None or not events:
            return
        try:
            result = self._emit(events)
        except Exception:
            log.exception("logging %d commerce events failed", len(events))
            return
        for error in getattr(result, "errors", None) or []:
            log.warning("commerce event not logged: %s", error)
