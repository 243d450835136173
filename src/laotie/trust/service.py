"""The trust area wired together: the originality index, screening, the feed's gate and the
review queue over one database.

Callers use the piece they need: ``trust.screening`` (uploads, stored items, loose files; the
catalog door's ``hold``/``screen``), ``trust.gate`` (``core.contracts.TrustGate`` for the feed,
``forget_decisions`` when another process announces a change), ``trust.review`` (the human
review queue) and ``trust.index`` (fingerprints of screened items).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from laotie.core.clock import Clock, SystemClock
from laotie.store.db import Database
from laotie.trust.decisions import EventSink, TrustPolicy
from laotie.trust.gate import DecisionGate
from laotie.trust.originality import OriginalityIndex
from laotie.trust.review import ReviewQueue
from laotie.trust.screening import Screener


class TrustService:
    """The trust pieces over one database, sharing one gate and one index."""

    def __init__(
        self,
        db: Database,
        *,
        media_dir: Path,
        media_root: Path | None = None,
        clock: Clock | None = None,
        events: EventSink | None = None,
        policy: TrustPolicy | None = None,
        propagator: str = "laotie",
        announce: Callable[[], None] | None = None,
    ) -> None:
        clock = clock or SystemClock()
        policy = policy or TrustPolicy()
        self.db = db
        self.media_dir = media_dir
        self.gate = DecisionGate(db, announce=announce)
        self.index = OriginalityIndex(db, policy=policy)
        self.screening = Screener(
            db,
            media_dir=media_dir,
            media_root=media_root or media_dir,
            clock=clock,
            events=events,
            policy=policy,
            propagator=propagator,
            index=self.index,
            gate=self.gate,
        )
        self.review = ReviewQueue(db, clock=clock, events=events, gate=self.gate)
