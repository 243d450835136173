"""``LiveSignals``: the feed's real-time signals shared by every serving process.

Each process keeps its own ``UserState`` (fast to read at request time) and applies the events
it accepts at once, as one process always did. With several processes it also appends each
user's item events and shown items to that user's capped log in the ``LiveState``, tagged with
its origin; before serving a user, a process folds in the entries other processes logged since
it last looked (one round trip). Co-visitation pairs formed since training are counters in the
``LiveState`` too, keyed by model version, so every process reads the pairs all of them saw.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import NamedTuple

from laotie.core.clock import MS_PER_DAY
from laotie.core.errors import Unavailable
from laotie.core.live import LiveState
from laotie.feed.catalog import Catalog
from laotie.feed.state import ItemEvent, Observation, UserState

log = logging.getLogger(__name__)
#: entries kept per user's log: more than any gap between two requests of one user needs
LOG_MAX_LEN = 200
TTL_MS = 2 * MS_PER_DAY


class _Entry(NamedTuple):
    """One decoded log entry: an item event (``kind`` set) or shown items (``seen``)."""

    origin: str
    kind: str
    item_id: int
    ts_ms: int
    watch_ms: int
    duration_ms: int
    seen: Sequence[int] = ()


def _user_key(user_id: int) -> str:
    return f"feed:user:{user_id}"


class LiveSignals:
    """Per-user signal logs and co-visitation counters in a shared ``LiveState``."""

    def __init__(self, live: LiveState) -> None:
        self.live = live
        #: tags this process's entries, which it applied itself and skips when catching up
        self.origin = os.urandom(6).hex()
        #: per user state, the last log entry folded in per user
        self._cursors: weakref.WeakKeyDictionary[UserState, dict[int, str]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    # --- writing -----------------------------------------------------------------------------

    def record(self, events: Sequence[ItemEvent]) -> None:
        """Log item events this process accepted (and applied to its own state)."""
        self.live.append(
            [
                (
                    _user_key(e.user_id),
                    json.dumps(
                        [
                            self.origin,
                            e.type,
                            e.item_id,
                            e.ts_ms,
                            e.watch_ms or 0,
                            e.duration_ms or 0,
                        ]
                    ),
                )
                for e in events
                if e.item_id is not None
            ],
            max_len=LOG_MAX_LEN,
            ttl_ms=TTL_MS,
        )

    def record_seen(self, user_id: int, item_ids: Sequence[int]) -> None:
        """Log items this process showed ``user_id``, so no other process shows them again."""
        payload = json.dumps([self.origin, "", -1, 0, 0, 0, [int(i) for i in item_ids]])
        self.live.append([(_user_key(user_id), payload)], max_len=LOG_MAX_LEN, ttl_ms=TTL_MS)

    # --- catching up -------------------------------------------------------------------------

    def catch_up(self, state: UserState, catalog: Catalog, user_ids: Sequence[int]) -> int:
        """Fold into ``state`` what other processes logged for ``user_ids`` since the last
        call; returns how many entries were applied."""
        with self._lock:
            cursors = self._cursors.setdefault(state, {})
            wanted = {_user_key(u): cursors.get(u, "") for u in user_ids if u >= 0}
        if not wanted:
            return 0
        found = self.live.read_after(wanted)
        applied = 0
        for user in user_ids:
            entries = found.get(_user_key(user))
            if not entries:
                continue
            with self._lock:
                cursors[user] = entries[-1][0]
            events: list[Observation] = []
            for _, payload in entries:
                entry = _Entry(*json.loads(payload))
                if entry.origin == self.origin:
                    continue
                applied += 1
                if entry.kind:
                    events.append(
                        Observation(
                            user,
                            entry.item_id,
                            entry.kind,
                            entry.ts_ms,
                            entry.watch_ms,
                            entry.duration_ms,
                        )
                    )
                else:
                    state.observe(catalog, events)
                    events = []
                    state.mark_seen(user, entry.seen)
            state.observe(catalog, events)
        return applied

    # --- co-visitation -----------------------------------------------------------------------

    def covisit_overlay(self, version: str) -> SharedCovisit:
        """The co-visitation pairs formed since model ``version`` was trained."""
        return SharedCovisit(self.live, version)


class SharedCovisit:
    """Live co-visitation weights per item, as counters every process adds to and reads."""

    def __init__(self, live: LiveState, version: str) -> None:
        self.live = live
        self.prefix = f"feed:covisit:{version}:"

    def add(self, pairs: Sequence[tuple[int, int, float]]) -> None:
        """Add weight ``w`` to the pair (``x``, ``y``) for each (x, y, w)."""
        rows: dict[int, dict[str, float]] = defaultdict(dict)
        for x, y, weight in pairs:
            row = rows[x]
            row[str(y)] = row.get(str(y), 0.0) + weight
        self.live.add([(f"{self.prefix}{x}", row) for x, row in rows.items()], ttl_ms=TTL_MS)

    def rows(self, item_ids: Sequence[int]) -> list[dict[int, float]]:
        """The live neighbours and weights of each item."""
        found = self.live.read([f"{self.prefix}{i}" for i in item_ids])
        return [{int(y): w for y, w in row.items()} for row in found]


def share(signals: LiveSignals | None, action: Callable[[LiveSignals], object]) -> None:
    """Run ``action`` on the shared signals (none: this process serves alone); an unreachable
    live state costs a page its freshest signals from other processes, never the page."""
    if signals is None:
        return
    try:
        action(signals)
    except Unavailable as exc:
        log.warning("feed serves on this process's signals only: %s", exc)
