"""What events mean to the feed: per-event weights, per (user, item) interactions, labels."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from laotie.core.watch import LONG_VIEW_MS, long_view_expr, watch_weight_expr

#: weight each event type adds to a (user, item) preference; negative weights are dislikes
EVENT_WEIGHTS: dict[str, float] = {
    "play": 1.0,
    "like": 4.0,
    "follow": 6.0,
    "share": 4.0,
    "comment": 2.0,
    "hate": -6.0,
    "report": -10.0,
}
#: net weight from which a (user, item) pair counts as a positive (a valid play or better)
POSITIVE_MIN = 1.0

EVENT_COLUMNS: dict[str, pl.DataType] = {
    "user_id": pl.Int64(),
    "item_id": pl.Int64(),
    "type": pl.String(),
    "ts_ms": pl.Int64(),
    "watch_ms": pl.Int64(),
    "duration_ms": pl.Int64(),
    "value": pl.Float64(),
}


@dataclass
class FeedData:
    """Everything training reads: items, events (lake columns), follows and the window end."""

    items: pl.DataFrame
    events: pl.DataFrame
    follows: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"user_id": pl.Int64, "creator_id": pl.Int64, "created_at_ms": pl.Int64}
        )
    )
    now_ms: int = 0

    def __post_init__(self) -> None:
        self.events = normalize_events(self.events)
        if not self.now_ms:
            self.now_ms = column_max(self.events["ts_ms"]) + 1


def normalize_events(events: pl.DataFrame) -> pl.DataFrame:
    """Events restricted to item events, with the feed's columns typed."""
    frame = events
    for name, dtype in EVENT_COLUMNS.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return frame.select([pl.col(name).cast(dtype) for name, dtype in EVENT_COLUMNS.items()]).filter(
        pl.col("item_id").is_not_null() & pl.col("user_id").is_not_null()
    )


def column_max(series: pl.Series, default: int = 0) -> int:
    """The largest value of an integer column as an int (``default`` when empty)."""
    value = series.max()
    return int(value) if isinstance(value, int | float) else default


def column_min(series: pl.Series, default: int = 0) -> int:
    """The smallest value of an integer column as an int (``default`` when empty)."""
    value = series.min()
    return int(value) if isinstance(value, int | float) else default


def rate_scale(events: pl.DataFrame) -> float:
    """The top of the rating scale in ``events`` (5 or 10)."""
    top = events.filter(pl.col("type") == "rate")["value"].max()
    return 10.0 if isinstance(top, int | float) and top > 5.0 else 5.0


def weight_expr(*, rate_max: float) -> pl.Expr:
    """Polars expression of each event's preference weight (see ``EVENT_WEIGHTS``; a watch
    weighs ``core.watch.watch_weight``)."""
    return (
        pl.when(pl.col("type") == "watch")
        .then(watch_weight_expr())
        .when(pl.col("type") == "rate")
        .then(5.0 * pl.col("value").fill_null(0.0) / rate_max - 3.0)
        .otherwise(
            pl.col("type").replace_strict(EVENT_WEIGHTS, default=0.0, return_dtype=pl.Float64)
        )
    )


def interactions(
    events: pl.DataFrame, *, long_view_ms: int = LONG_VIEW_MS, rate_max: float | None = None
) -> pl.DataFrame:
    """One row per (user, item): weight, first/last ts and the ranking labels.

    Labels: ``play`` (a valid play, rating or engagement), ``long_view``, ``like``,
    ``follow``, ``hate`` (hate/report), ``watch_ms`` and ``duration_ms`` (max seen).
    ``rate_max`` is the top of the rating scale (default: ``rate_scale(events)``).
    """
    rate_max = rate_scale(events) if rate_max is None else rate_max
    t = pl.col("type")
    watch_ms = pl.col("watch_ms").fill_null(0)
    duration = pl.col("duration_ms").fill_null(0)
    long_view = (t == "watch") & long_view_expr(threshold_ms=long_view_ms)
    rated_high = (t == "rate") & (pl.col("value").fill_null(0) >= 0.7 * rate_max)
    return (
        events.with_columns(weight_expr(rate_max=rate_max).alias("w"))
        .group_by("user_id", "item_id")
        .agg(
            pl.col("w").sum().alias("weight"),
            pl.col("ts_ms").min().alias("first_ts_ms"),
            pl.col("ts_ms").max().alias("last_ts_ms"),
            (t.is_in(["play", "rate", "like", "share", "comment", "follow"]) | long_view)
            .any()
            .alias("play"),
            (long_view | rated_high).any().alias("long_view"),
            ((t == "like") | ((t == "rate") & (pl.col("value").fill_null(0) >= 0.8 * rate_max)))
            .any()
            .alias("like"),
            (t == "follow").any().alias("follow"),
            (
                t.is_in(["hate", "report"])
                | ((t == "rate") & (pl.col("value").fill_null(0) <= 0.4 * rate_max))
            )
            .any()
            .alias("hate"),
            (t == "impression").any().alias("impressed"),
            watch_ms.max().alias("watch_ms"),
            duration.max().alias("duration_ms"),
        )
        .with_columns((pl.col("weight") >= POSITIVE_MIN).alias("positive"))
        .sort("user_id", "item_id")
    )


def merge_interactions(*parts: pl.DataFrame) -> pl.DataFrame:
    """The ``interactions`` of the union of disjoint event sets, from each set's own
    (computed with the same ``rate_max``): sums, extremes and any-of per (user, item)."""
    flags = ("play", "long_view", "like", "follow", "hate", "impressed")
    return (
        pl.concat(parts)
        .group_by("user_id", "item_id")
        .agg(
            pl.col("weight").sum(),
            pl.col("first_ts_ms").min(),
            pl.col("last_ts_ms").max(),
            *[pl.col(flag).any() for flag in flags],
            pl.col("watch_ms").max(),
            pl.col("duration_ms").max(),
        )
        .with_columns((pl.col("weight") >= POSITIVE_MIN).alias("positive"))
        .sort("user_id", "item_id")
    )
