"""Time: UTC integer milliseconds since the epoch, everywhere below the API."""

from __future__ import annotations

import time
from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

MS_PER_SECOND = 1000
MS_PER_MINUTE = 60 * MS_PER_SECOND
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR


class Clock(Protocol):
    """Source of the current time in epoch milliseconds."""

    def now_ms(self) -> int: ...


class SystemClock:
    """The wall clock."""

    def now_ms(self) -> int:
        """Current UTC time in epoch milliseconds."""
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to (simulator and tests)."""

    def __init__(self, start_ms: int) -> None:
        self._now_ms = start_ms

    def now_ms(self) -> int:
        """The clock's current time in epoch milliseconds."""
        return self._now_ms

    def set(self, ms: int) -> None:
        """Move the clock to ``ms``."""
        self._now_ms = ms

    def advance(self, ms: int) -> None:
        """Move the clock forward by ``ms``."""
        self._now_ms += ms


def now_ms() -> int:
    """Current UTC time in epoch milliseconds."""
    return time.time_ns() // 1_000_000


def to_datetime(ms: int, tz: tzinfo = UTC) -> datetime:
    """Epoch milliseconds as an aware datetime in ``tz``."""
    return datetime.fromtimestamp(ms / 1000, tz=tz)


def from_datetime(value: datetime) -> int:
    """An aware datetime as epoch milliseconds (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def day_start_ms(ms: int, tz: str = "UTC") -> int:
    """Epoch ms of the start of the local day (in time zone ``tz``) that contains ``ms``."""
    local = to_datetime(ms, ZoneInfo(tz))
    return from_datetime(local.replace(hour=0, minute=0, second=0, microsecond=0))


def day_label(ms: int, tz: str = "UTC") -> str:
    """The local date (ISO ``YYYY-MM-DD``) in ``tz`` that contains ``ms``."""
    return to_datetime(ms, ZoneInfo(tz)).date().isoformat()
