"""Creator productivity: how much creators publish and how much of it is AI-assisted."""

from __future__ import annotations

from datetime import date

import polars as pl

from laotie.insights.days import (
    DEFAULT_TIMEZONE,
    FrameLike,
    Period,
    day_range_ms,
    period_start,
    with_local_day,
)
from laotie.insights.kpis import AIGC_STATUSES

#: definitions of the columns of ``creator_productivity`` (documented in docs/kpis.md)
PRODUCTIVITY_DEFINITIONS: dict[str, str] = {
    "items_created": "Items (any kind and status) whose created_at_ms falls in the period.",
    "active_creators": "Distinct creators with at least one item created in the period.",
    "items_per_active_creator": "items_created over active_creators.",
    "aigc_items": "Items created in the period whose aigc_status is declared, suspected or "
    "confirmed.",
    "aigc_assisted_share": "aigc_items over items_created (the AIGC-assisted share of output).",
    "aigc_creators": "Distinct creators with at least one AIGC item created in the period.",
}


def creator_productivity(
    items: FrameLike,
    *,
    tz: str = DEFAULT_TIMEZONE,
    by: Period = "week",
    first_day: date | None = None,
    last_day: date | None = None,
) -> pl.DataFrame:
    """Per period (weeks start on Monday): the ``PRODUCTIVITY_DEFINITIONS`` columns."""
    lazy = items.lazy().select(
        "creator_id",
        "created_at_ms",
        pl.col("aigc_status").cast(pl.String).is_in(AIGC_STATUSES).alias("is_aigc"),
    )
    if first_day is not None and last_day is not None:
        start_ms, end_ms = day_range_ms(first_day, last_day, tz=tz)
        lazy = lazy.filter(pl.col("created_at_ms").is_between(start_ms, end_ms, closed="left"))
    dated = with_local_day(lazy, tz=tz, column="created_at_ms").with_columns(
        period_start(pl.col("day"), by).alias("period")
    )
    return (
        dated.filter(pl.col("period").is_not_null())
        .group_by("period")
        .agg(
            pl.len().alias("items_created"),
            pl.col("creator_id").n_unique().alias("active_creators"),
            pl.col("is_aigc").sum().alias("aigc_items"),
            pl.col("creator_id").filter(pl.col("is_aigc")).n_unique().alias("aigc_creators"),
        )
        .with_columns(
            (pl.col("items_created") / pl.col("active_creators")).alias("items_per_active_creator"),
            (pl.col("aigc_items") / pl.col("items_created")).alias("aigc_assisted_share"),
        )
        .select("period", *PRODUCTIVITY_DEFINITIONS)
        .sort("period")
        .collect()
    )
