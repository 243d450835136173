"""``LiveState``: the fast-moving state every serving process of one platform must share.

Counters (feed co-visitation, frequency caps, today's ad spend), capped per-key logs (a
user's recent feed signals), moving-window rate limits and a broadcast channel (trust
decision invalidation). One process uses the in-process implementation (the default); many
processes or machines point ``live_state_url`` at one Redis server and share it. Both
implementations pass the same contract tests (``tests/store/test_live_state.py``).

Keys are plain strings chosen by the caller (``area:what:...``). Counter values read back as
floats; a log entry id is an opaque, increasing string (``"<ms>-<seq>"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

#: a log entry as read back: (entry id, payload)
LogEntry = tuple[str, str]


def entry_order(entry_id: str) -> tuple[int, int]:
    """The sort key of a log entry id ``"<a>-<b>"`` (ids compare as integer pairs)."""
    high, _, low = entry_id.partition("-")
    return int(high), int(low or 0)


class LiveState(Protocol):
    """Shared counters, capped logs, moving-window limits and broadcasts (module docstring)."""

    def add(self, updates: Sequence[tuple[str, Mapping[str, float]]], *, ttl_ms: int) -> None:
        """Add each mapping's amounts to the counters of its key; each key touched lives
        ``ttl_ms`` more milliseconds."""
        ...

    def read(self, keys: Sequence[str]) -> list[dict[str, float]]:
        """Every counter of each key (an empty dict for a key that does not exist)."""
        ...

    def reserve(
        self,
        key: str,
        field: str,
        amount: int,
        *,
        ceiling: int,
        seed: Callable[[], int],
        ttl_ms: int,
    ) -> int | None:
        """Atomically add ``amount`` to counter ``field`` of ``key`` unless the total would
        pass ``ceiling``: the new total, or None (nothing added). A counter not present yet
        starts at ``seed()`` (the durable truth, e.g. today's spend in the ledger)."""
        ...

    def release(self, key: str, field: str, amount: int) -> None:
        """Give back an ``amount`` reserved earlier (its work was rolled back)."""
        ...

    def append(self, entries: Sequence[tuple[str, str]], *, max_len: int, ttl_ms: int) -> None:
        """Append each (key, payload) to that key's log, keeping about its ``max_len`` newest."""
        ...

    def read_after(self, cursors: Mapping[str, str]) -> dict[str, list[LogEntry]]:
        """Per key, its log entries after the entry id ``cursors[key]`` (``""``: all), oldest
        first."""
        ...

    def hit(self, key: str, *, limit: int, window_ms: int) -> bool:
        """Count one hit on ``key`` if fewer than ``limit`` fell in the last ``window_ms``;
        False (nothing counted) otherwise."""
        ...

    def count(self, key: str, *, window_ms: int) -> int:
        """Hits on ``key`` in the last ``window_ms``."""
        ...

    def publish(self, channel: str, message: str) -> None:
        """Send ``message`` to every subscriber of ``channel`` in every process."""
        ...

    def subscribe(self, channel: str, handler: Callable[[str], None]) -> None:
        """Call ``handler(message)`` for each message later published on ``channel``."""
        ...

    def close(self) -> None:
        """Release connections and listener threads."""
        ...
