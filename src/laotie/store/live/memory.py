"""``MemoryLiveState``: the in-process ``LiveState`` (the default; one process, no server)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping, Sequence

from laotie.core.live import LogEntry, entry_order


class MemoryLiveState:
    """Dicts under one lock; keys expire lazily when touched after their deadline."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[str, float]] = {}
        self._logs: dict[str, deque[LogEntry]] = {}
        self._hits: dict[str, deque[float]] = {}
        self._deadlines: dict[str, float] = {}
        self._handlers: dict[str, list[Callable[[str], None]]] = defaultdict(list)
        self._sequence = 0

    def _alive(self, key: str, now: float) -> bool:
        deadline = self._deadlines.get(key)
        if deadline is not None and deadline <= now:
            self._counters.pop(key, None)
            self._logs.pop(key, None)
            del self._deadlines[key]
            return False
        return True

    def add(self, updates: Sequence[tuple[str, Mapping[str, float]]], *, ttl_ms: int) -> None:
        """Add amounts to counters; touched keys live ``ttl_ms`` more."""
        now = time.monotonic()
        with self._lock:
            for key, amounts in updates:
                self._alive(key, now)
                row = self._counters.setdefault(key, {})
                for field, amount in amounts.items():
                    row[field] = row.get(field, 0.0) + amount
                self._deadlines[key] = now + ttl_ms / 1000
            self._collect(now)

    def _collect(self, now: float) -> None:
        """Drop expired keys now and then, so keys never read again do not pile up."""
        if len(self._deadlines) > 4 * (len(self._counters) + len(self._logs)) // 3 + 10_000:
            for key in [k for k, d in self._deadlines.items() if d <= now]:
                self._alive(key, now)

    def read(self, keys: Sequence[str]) -> list[dict[str, float]]:
        """Every counter of each key."""
        now = time.monotonic()
        with self._lock:
            return [
                dict(self._counters.get(key, {})) if self._alive(key, now) else {} for key in keys
            ]

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
        """Add ``amount`` unless the total would pass ``ceiling`` (see ``LiveState``)."""
        now = time.monotonic()
        with self._lock:
            present = self._alive(key, now) and field in self._counters.get(key, {})
        start = None if present else seed()  # the seed reads the database: not under the lock
        with self._lock:
            row = self._counters.setdefault(key, {})
            if field not in row:
                row[field] = float(start or 0)
                self._deadlines[key] = now + ttl_ms / 1000
            total = int(row[field]) + amount
            if total > ceiling:
                return None
            row[field] = float(total)
            return total

    def release(self, key: str, field: str, amount: int) -> None:
        """Give back a reserved ``amount``."""
        with self._lock:
            row = self._counters.get(key)
            if row is not None and field in row:
                row[field] -= amount

    def append(self, entries: Sequence[tuple[str, str]], *, max_len: int, ttl_ms: int) -> None:
        """Append payloads to per-key logs capped at ``max_len``."""
        now = time.monotonic()
        with self._lock:
            for key, payload in entries:
                self._alive(key, now)
                self._sequence += 1
                log = self._logs.get(key)
                if log is None or log.maxlen != max_len:
                    log = self._logs[key] = deque(log or (), maxlen=max_len)
                log.append((f"0-{self._sequence}", payload))
                self._deadlines[key] = now + ttl_ms / 1000
            self._collect(now)

    def read_after(self, cursors: Mapping[str, str]) -> dict[str, list[LogEntry]]:
        """Per key, entries after the cursor id, oldest first."""
        now = time.monotonic()
        out: dict[str, list[LogEntry]] = {}
        with self._lock:
            for key, cursor in cursors.items():
                log = self._logs.get(key) if self._alive(key, now) else None
                after = entry_order(cursor) if cursor else (-1, -1)
                out[key] = [e for e in log or () if entry_order(e[0]) > after]
        return out

    def _window(self, key: str, window_ms: int, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - window_ms / 1000:
            hits.popleft()
        return hits

    def hit(self, key: str, *, limit: int, window_ms: int) -> bool:
        """Count a hit when fewer than ``limit`` fell in the window."""
        now = time.monotonic()
        with self._lock:
            hits = self._window(key, window_ms, now)
            if len(hits) >= limit:
                return False
            hits.append(now)
            if len(self._hits) > 100_000:  # keys of long-gone clients: forget them
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - 3600}
            return True

    def count(self, key: str, *, window_ms: int) -> int:
        """Hits in the window."""
        with self._lock:
            return len(self._window(key, window_ms, time.monotonic()))

    def publish(self, channel: str, message: str) -> None:
        """Call this process's subscribers (there is no other process)."""
        for handler in list(self._handlers.get(channel, ())):
            handler(message)

    def subscribe(self, channel: str, handler: Callable[[str], None]) -> None:
        """Register ``handler`` for ``channel``."""
        self._handlers[channel].append(handler)

    def close(self) -> None:
        """Nothing to release."""
