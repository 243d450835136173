"""The feed's trust gate: every decision other than allow, answered from memory, and told to
other serving processes when it changes."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from laotie.core.contracts import TrustDecision
from laotie.core.errors import LaotieError
from laotie.store.db import Database
from laotie.store.repos import trust as repo

log = logging.getLogger(__name__)

#: how often, in seconds, the gate looks for decisions another process saved
GATE_REFRESH_S = 1.0


class DecisionGate:
    """Implements ``core.contracts.TrustGate`` over the stored trust records."""

    def __init__(self, db: Database, *, announce: Callable[[], None] | None = None) -> None:
        self.db = db
        #: tells other serving processes that decisions changed (``forget_decisions`` there)
        self.announce = announce
        self._gate: dict[int, TrustDecision] | None = None
        self._gate_stamp: tuple[int, int] | None = None
        self._gate_checked = 0.0
        self._gate_lock = threading.Lock()

    def decisions(self, item_ids: Sequence[int]) -> Mapping[int, TrustDecision]:
        """Decisions other than allow for the given internal item ids (absent: allow).

        Answered from memory: every non-allow decision, reloaded at once after this process
        saves one, and within ``GATE_REFRESH_S`` after another process does (at once where
        the processes share a live state: the change is announced there)."""
        gate = self._gate_view()
        if not gate:
            return {}
        return {item_id: gate[item_id] for item_id in item_ids if item_id in gate}

    def _gate_view(self) -> dict[int, TrustDecision]:
        gate, now = self._gate, time.monotonic()
        if gate is not None and now - self._gate_checked < GATE_REFRESH_S:
            return gate
        with self._gate_lock:
            with self.db.session() as session:
                stamp = repo.decision_stamp(session)
                if self._gate is None or stamp != self._gate_stamp:
                    found = repo.gated(session)
                    self._gate = {item: TrustDecision(value) for item, value in found.items()}
                    self._gate_stamp = stamp
            self._gate_checked = now
            return self._gate

    def changed(self) -> None:
        """Call after a decision is committed: the next gate call reloads them, here and,
        once announced, in every other serving process."""
        self.forget_decisions()
        if self.announce is not None:
            try:
                self.announce()
            except LaotieError as exc:  # the others still reload within GATE_REFRESH_S
                log.warning("could not announce a trust decision change: %s", exc)

    def forget_decisions(self) -> None:
        """Drop the cached decisions (another process changed them): the next gate call
        reads them again."""
        with self._gate_lock:
            self._gate = None
