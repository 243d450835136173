"""Local calendar days for KPIs: days in a configurable IANA time zone (Asia/Shanghai by
default), periods of a day, a week (from Monday) or a month, and day ranges in epoch ms."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

from laotie.core.errors import InvalidInput

FrameLike = pl.DataFrame | pl.LazyFrame
Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")

DEFAULT_TIMEZONE = "Asia/Shanghai"


def check_timezone(tz: str) -> str:
    """``tz`` if it names an IANA time zone, else ``InvalidInput``."""
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError) as exc:
        raise InvalidInput(f"unknown time zone {tz!r}", field="tz", limit="IANA name") from exc
    return tz


def local_day_starts_ms(first: date, last: date, *, tz: str) -> list[int]:
    """Epoch ms of local midnight in ``tz`` of every day from ``first`` to ``last + 1``."""
    zone = ZoneInfo(check_timezone(tz))
    days = (last - first).days + 2
    return [
        int(datetime.combine(first + timedelta(days=i), datetime.min.time(), zone).timestamp())
        * 1000
        for i in range(days)
    ]


def day_of_ms(ms: int, *, tz: str = DEFAULT_TIMEZONE) -> date:
    """The local date in ``tz`` that contains epoch ms ``ms``."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(check_timezone(tz))).date()


def day_range_ms(first: date, last: date, *, tz: str = DEFAULT_TIMEZONE) -> tuple[int, int]:
    """[start, end) epoch ms covering local days ``first`` .. ``last`` in ``tz``."""
    starts = local_day_starts_ms(first, last, tz=tz)
    return starts[0], starts[-1]


def with_local_day(
    frame: FrameLike, *, tz: str = DEFAULT_TIMEZONE, column: str = "ts_ms"
) -> pl.LazyFrame:
    """``frame`` (lazy) with a ``day`` Date column: the local day of ``column`` in ``tz``.

    Uses the true local midnights of the covered days (so DST zones are right), found by a
    binary search instead of a per-row time-zone conversion.
    """
    lazy = frame.lazy()
    bounds = lazy.select(pl.col(column).min().alias("lo"), pl.col(column).max().alias("hi"))
    lo, hi = bounds.collect().row(0)
    if lo is None:
        return lazy.with_columns(pl.lit(None, dtype=pl.Date).alias("day"))
    first = day_of_ms(lo, tz=tz)
    starts = local_day_starts_ms(first, day_of_ms(hi, tz=tz), tz=tz)
    index = (
        pl.lit(pl.Series(starts, dtype=pl.Int64))
        .search_sorted(pl.col(column), side="right")
        .cast(pl.Int32)
        - 1
    )
    return lazy.with_columns((pl.lit(first) + pl.duration(days=index)).alias("day"))


def period_start(day: pl.Expr, by: Period) -> pl.Expr:
    """The first day of the day/week (Monday)/month that contains ``day``."""
    if by == "day":
        return day
    if by == "week":
        return day.dt.truncate("1w")
    if by == "month":
        return day.dt.truncate("1mo")
    raise InvalidInput(f"unknown period {by!r}", field="by", limit="day|week|month")


def day_calendar(first: date, last: date) -> pl.DataFrame:
    """One row per day from ``first`` to ``last`` (column ``day``)."""
    return pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})


def day_value(value: object) -> date:
    """``value`` as a date, else ``InvalidInput``."""
    if not isinstance(value, date):
        raise InvalidInput("expected a day", field="day")
    return value


def resolve_range(
    user_days: pl.DataFrame, first: date | None, last: date | None
) -> tuple[date, date]:
    """``first``..``last``, each defaulting to the first/last active day of ``user_days``."""
    if first is None or last is None:
        if user_days.is_empty():
            raise InvalidInput("no events in range and no --from/--to given", field="events")
        first = first or day_value(user_days["day"].min())
        last = last or day_value(user_days["day"].max())
    if last < first:
        raise InvalidInput("the last day is before the first", field="to", limit=str(first))
    return first, last


def day_filter(first_day: date | None, last_day: date | None, column: str = "day") -> pl.Expr:
    """True for rows whose ``column`` lies in [first_day, last_day] (None: open)."""
    condition = pl.lit(True)
    if first_day is not None:
        condition &= pl.col(column) >= first_day
    if last_day is not None:
        condition &= pl.col(column) <= last_day
    return condition
