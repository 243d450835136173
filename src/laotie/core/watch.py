"""What a watch means: valid play, long view and a watch's preference weight, defined once.

KuaiRand documents its two watch labels on the dataset page (github.com/chongminggao/KuaiRand,
README, "Descriptions of the fields in log_xxx.csv"; Gao et al., CIKM 2022):

- ``is_click`` (in the single-column UI, a *valid play*): ``play_duration >= video_duration``
  when the video is at most 7 s long, else ``play_duration > 7 s``;
- ``long_view``: ``play_duration >= video_duration`` when the video is at most 18 s long,
  else ``play_duration >= 18 s``.

Note the one asymmetry the page states: past the threshold, a valid play needs *more than*
7 s while a long view needs *at least* 18 s. ``WatchRule`` holds each rule's threshold and that
strictness; the scalar, NumPy, Polars and SQL forms below all read it, so KPIs, training
labels, importers, the simulator and the benchmarks cannot disagree on a boundary.

A watch whose duration is unknown (null or <= 0) is judged by the threshold alone. Times are
integer milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the array and column forms import them when called: settings read this
    import numpy as np
    import polars as pl


@dataclass(frozen=True)
class WatchRule:
    """A KuaiRand watch label: the whole item when it is at most ``threshold_ms`` long, else
    more than (``strict``) or at least ``threshold_ms``."""

    name: str
    threshold_ms: int
    strict: bool

    def with_threshold(self, threshold_ms: int) -> WatchRule:
        """The same rule at another threshold (e.g. a configured long-view length)."""
        return WatchRule(self.name, threshold_ms, self.strict)


#: KuaiRand ``is_click``: the whole item if it is <= 7 s long, else more than 7 s
VALID_PLAY = WatchRule("valid_play", 7_000, strict=True)
#: KuaiRand ``long_view``: the whole item if it is <= 18 s long, else at least 18 s
LONG_VIEW = WatchRule("long_view", 18_000, strict=False)
VALID_PLAY_MS = VALID_PLAY.threshold_ms
LONG_VIEW_MS = LONG_VIEW.threshold_ms

#: a watch ratio (watch / duration) counts up to this much (replays beyond it add nothing)
WATCH_RATIO_CAP = 1.5
#: a watch's preference weight is ``WATCH_WEIGHT_SLOPE * ratio + WATCH_WEIGHT_OFFSET``:
#: -0.5 for a glance, 1.5 for a full watch, 2.5 at the cap
WATCH_WEIGHT_SLOPE = 2.0
WATCH_WEIGHT_OFFSET = -0.5


def passes(rule: WatchRule, watch_ms: int | None, duration_ms: int | None) -> bool:
    """Whether one watch of ``watch_ms`` on an item of ``duration_ms`` meets ``rule``."""
    watch = watch_ms or 0
    if duration_ms is not None and 0 < duration_ms <= rule.threshold_ms:
        return watch >= duration_ms
    return watch > rule.threshold_ms if rule.strict else watch >= rule.threshold_ms


def is_valid_play(watch_ms: int | None, duration_ms: int | None) -> bool:
    """KuaiRand ``is_click`` (valid play) of one watch."""
    return passes(VALID_PLAY, watch_ms, duration_ms)


def is_long_view(
    watch_ms: int | None, duration_ms: int | None, *, threshold_ms: int = LONG_VIEW_MS
) -> bool:
    """KuaiRand ``long_view`` of one watch (``threshold_ms``: 18 s as published)."""
    return passes(LONG_VIEW.with_threshold(threshold_ms), watch_ms, duration_ms)


def passes_array(rule: WatchRule, watch_ms: np.ndarray, duration_ms: np.ndarray) -> np.ndarray:
    """``passes`` element-wise over arrays of watch and duration times (boolean array)."""
    import numpy as np

    watch = np.asarray(watch_ms)
    duration = np.asarray(duration_ms)
    past = watch > rule.threshold_ms if rule.strict else watch >= rule.threshold_ms
    short = (duration > 0) & (duration <= rule.threshold_ms)
    return np.where(short, watch >= duration, past)


def _column(value: str | pl.Expr) -> pl.Expr:
    import polars as pl

    return pl.col(value) if isinstance(value, str) else value


def passes_expr(
    rule: WatchRule, watch: str | pl.Expr = "watch_ms", duration: str | pl.Expr = "duration_ms"
) -> pl.Expr:
    """Polars expression of ``passes`` over two columns (a null watch counts as 0 ms)."""
    import polars as pl

    watched = _column(watch).fill_null(0)
    length = _column(duration)
    threshold = pl.lit(rule.threshold_ms)
    past = watched > threshold if rule.strict else watched >= threshold
    short = length.is_not_null() & (length > 0) & (length <= threshold)
    return pl.when(short).then(watched >= length).otherwise(past)


def valid_play_expr(
    watch: str | pl.Expr = "watch_ms", duration: str | pl.Expr = "duration_ms"
) -> pl.Expr:
    """Polars expression of ``is_valid_play`` over two columns."""
    return passes_expr(VALID_PLAY, watch, duration)


def long_view_expr(
    watch: str | pl.Expr = "watch_ms",
    duration: str | pl.Expr = "duration_ms",
    *,
    threshold_ms: int = LONG_VIEW_MS,
) -> pl.Expr:
    """Polars expression of ``is_long_view`` over two columns."""
    return passes_expr(LONG_VIEW.with_threshold(threshold_ms), watch, duration)


def passes_sql(rule: WatchRule, watch: str = "watch_ms", duration: str = "duration_ms") -> str:
    """``passes`` as a SQL boolean expression over two column names (DuckDB, SQLite)."""
    past = ">" if rule.strict else ">="
    return (
        f"(CASE WHEN {duration} > 0 AND {duration} <= {rule.threshold_ms} "
        f"THEN coalesce({watch}, 0) >= {duration} "
        f"ELSE coalesce({watch}, 0) {past} {rule.threshold_ms} END)"
    )


def watch_weight(watch_ms: int | None, duration_ms: int | None) -> float:
    """One watch event's preference weight from its watch ratio (capped at
    ``WATCH_RATIO_CAP``; a missing time counts as 0 ms)."""
    ratio = min(max((watch_ms or 0) / max(duration_ms or 0, 1), 0.0), WATCH_RATIO_CAP)
    return WATCH_WEIGHT_SLOPE * ratio + WATCH_WEIGHT_OFFSET


def watch_weight_expr(
    watch: str | pl.Expr = "watch_ms", duration: str | pl.Expr = "duration_ms"
) -> pl.Expr:
    """Polars expression of ``watch_weight`` over two columns."""
    ratio = (_column(watch).fill_null(0) / _column(duration).fill_null(0).clip(1)).clip(
        0.0, WATCH_RATIO_CAP
    )
    return WATCH_WEIGHT_SLOPE * ratio + WATCH_WEIGHT_OFFSET
