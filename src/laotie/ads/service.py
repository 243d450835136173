"""The ads area wired together: accounts, serving, charging, models and reports.

Callers use the piece they need: ``ads.accounts`` (advertisers, campaigns, creatives),
``ads.serving`` (the feed's ``AdSlotFiller``), ``ads.charging`` (the ledger hook on committed
ad events, ``settle`` for missed ones, and ``bill_purchase``, commerce's ``PurchaseBiller``),
``ads.models`` (pCTR/pCVR training) and ``ads.reports``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from laotie.ads.accounts import AdAccounts
from laotie.ads.charging import Charger, ChargeSummary
from laotie.ads.counters import AdCounters
from laotie.ads.filler import SlotFiller
from laotie.ads.models import AdModels
from laotie.ads.reports import AdReports
from laotie.core.clock import Clock, SystemClock
from laotie.core.live import LiveState
from laotie.core.settings import Settings
from laotie.store.db import Database
from laotie.store.live import MemoryLiveState


class AdsService:
    """The ads pieces over one database, sharing one serving state."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings,
        clock: Clock | None = None,
        random_state: int | None = None,
        live: LiveState | None = None,
    ) -> None:
        clock = clock or SystemClock()
        self.db = db
        self.settings = settings
        # budgets and frequency caps counted where every serving process sees them
        counters = AdCounters(live or MemoryLiveState())
        self.models = AdModels(db, models_dir=settings.home / "models" / "ads")
        self.serving = SlotFiller(
            db,
            settings=settings,
            clock=clock,
            models=self.models,
            counters=counters,
            random_state=random_state,
        )
        self.accounts = AdAccounts(db, settings=settings, clock=clock, serving=self.serving)
        self.charging = Charger(
            db, server=self.serving.server, timezone=settings.timezone, counters=counters
        )
        self.reports = AdReports(db, accounts=self.accounts)

    def on_events(self, events: Sequence[Any]) -> ChargeSummary:
        """Event subscriber (wired in ``laotie.wiring``): learn users' interests from a
        committed batch, then record and charge its ad events. Safe to call again with the
        same events."""
        self.serving.observe(events)
        return self.charging.handle(events)
