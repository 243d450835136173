"""The live rooms as the feed reads them, kept for a second between reads.

The feed asks for the live rooms on every request (two queries were a quarter of a request's
time); a snapshot answers for up to ``SIGNALS_MAX_AGE_S``, and a change committed through this
process retires it at once, so only another process's changes wait for it to age.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from laotie.core.contracts import LiveRoomSignal

#: seconds a snapshot of the live rooms serves the feed; another process's changes show after it
SIGNALS_MAX_AGE_S = 1.0


class LiveSnapshot:
    """The last read of the live rooms, its time and the generation it was read under."""

    def __init__(self) -> None:
        #: bumped after every committed change; a snapshot read under an older one is stale
        self._generation = 0
        self._kept: tuple[int, float, list[LiveRoomSignal]] | None = None

    def changed(self) -> None:
        """Retire the snapshot (called after a change here has committed)."""
        self._generation += 1

    def get(self, read: Callable[[], list[LiveRoomSignal]]) -> list[LiveRoomSignal]:
        """The snapshot while it is younger than ``SIGNALS_MAX_AGE_S`` and nothing changed
        since it was read; otherwise ``read()``, kept as the new snapshot."""
        generation, kept = self._generation, self._kept
        fresh = kept is not None and time.monotonic() - kept[1] < SIGNALS_MAX_AGE_S
        if kept is not None and fresh and kept[0] == generation:
            return kept[2]
        read_at = time.monotonic()
        signals = read()
        self._kept = (generation, read_at, signals)
        return signals
