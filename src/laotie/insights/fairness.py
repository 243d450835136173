"""How evenly exposure spreads over creators: the Gini coefficient of impressions per
creator, counting the eligible creators who got none."""

from __future__ import annotations

import polars as pl

from laotie.insights.days import FrameLike, day_range_ms


def gini(values: list[int] | list[float]) -> float:
    """Gini coefficient of non-negative ``values`` (0 = equal, -> 1 = concentrated)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n


def creator_exposure_gini(exposures: pl.LazyFrame, eligible: pl.DataFrame) -> pl.DataFrame:
    """Gini of impressions per creator per ``period`` from (period, creator_id, impressions)
    and (period, creators) = number of creators eligible by the period's end."""
    ranked = (
        exposures.filter(pl.col("impressions") > 0)
        .with_columns(
            pl.col("impressions").rank("ordinal").over("period").alias("rank"),
            pl.len().over("period").alias("k"),
        )
        .collect()
        .join(eligible, on="period", how="left")
        .with_columns(pl.max_horizontal(pl.col("creators").fill_null(0), pl.col("k")).alias("n"))
    )
    # Zeros sort first, so the i-th smallest non-zero value has rank n - k + i among n.
    return ranked.group_by("period").agg(
        (
            2
            * ((pl.col("n") - pl.col("k") + pl.col("rank")) * pl.col("impressions")).sum()
            / (pl.col("n").first() * pl.col("impressions").sum())
            - (pl.col("n").first() + 1) / pl.col("n").first()
        ).alias("creator_exposure_gini")
    )


def eligible_creators(items: FrameLike, period_ends: pl.DataFrame, *, tz: str) -> pl.DataFrame:
    """Per period, how many creators had published their first item by its ``end`` day."""
    first_items = (
        items.lazy()
        .group_by("creator_id")
        .agg(pl.col("created_at_ms").min().alias("created_at_ms"))
        .collect()
    )
    if first_items.is_empty():
        return period_ends.select("period", pl.lit(0, dtype=pl.UInt32).alias("creators"))
    ends_ms = [day_range_ms(end, end, tz=tz)[1] for end in period_ends["end"]]
    created = first_items["created_at_ms"].sort()
    counts = created.search_sorted(pl.Series(ends_ms, dtype=pl.Int64), side="left")
    return period_ends.select("period").with_columns(counts.alias("creators"))
