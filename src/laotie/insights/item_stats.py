"""One item's engagement over a window: impressions, plays, long views, watch time, likes,
shares and comments, unique viewers, and the rates between them (for the item's page)."""

from __future__ import annotations

import polars as pl
from pydantic import BaseModel

from laotie.core.watch import long_view_expr, valid_play_expr


class ItemStats(BaseModel):
    """An item's counts in ``[start_ms, end_ms)``; rates are None where the base is zero."""

    item_id: str
    start_ms: int
    end_ms: int
    impressions: int
    viewers: int
    plays: int
    valid_plays: int
    long_views: int
    watch_minutes: float
    likes: int
    shares: int
    comments: int
    hates: int
    play_rate: float | None
    long_view_rate: float | None
    like_rate: float | None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def item_stats(
    events: pl.LazyFrame, *, item_pk: int, item_id: str, start_ms: int, end_ms: int
) -> ItemStats:
    """Aggregate the events of store item ``item_pk`` (public id ``item_id``) in the window;
    valid plays and long views follow the KuaiRand rules of ``laotie.core.watch``."""
    kind = pl.col("type").cast(pl.String)
    watch = kind == "watch"
    row = (
        events.filter(pl.col("item_id") == item_pk)
        .select(
            (kind == "impression").sum().alias("impressions"),
            pl.col("user_id").filter(kind == "impression").n_unique().alias("viewers"),
            (kind == "play").sum().alias("plays"),
            (watch & valid_play_expr()).sum().alias("valid"),
            (watch & long_view_expr()).sum().alias("long"),
            pl.col("watch_ms").filter(watch).sum().alias("watch_ms"),
            (kind == "like").sum().alias("likes"),
            (kind == "share").sum().alias("shares"),
            (kind == "comment").sum().alias("comments"),
            (kind == "hate").sum().alias("hates"),
        )
        .collect()
        .row(0, named=True)
    )
    counts = {k: int(v or 0) for k, v in row.items()}
    return ItemStats(
        item_id=item_id,
        start_ms=start_ms,
        end_ms=end_ms,
        impressions=counts["impressions"],
        viewers=counts["viewers"],
        plays=counts["plays"],
        valid_plays=counts["valid"],
        long_views=counts["long"],
        watch_minutes=round(counts["watch_ms"] / 60_000, 2),
        likes=counts["likes"],
        shares=counts["shares"],
        comments=counts["comments"],
        hates=counts["hates"],
        play_rate=_rate(counts["plays"], counts["impressions"]),
        long_view_rate=_rate(counts["long"], counts["impressions"]),
        like_rate=_rate(counts["likes"], counts["impressions"]),
    )
