"""Shared shapes of importer output: the event frame contract and external id conventions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from laotie.core.events import MAX_DURATION_MS, MAX_WATCH_MS

#: columns (and types) of every frame ``read_events`` yields
EVENT_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "user": pl.String(),
    "item": pl.String(),
    "type": pl.String(),
    "ts_ms": pl.Int64(),
    "watch_ms": pl.Int64(),
    "duration_ms": pl.Int64(),
    "value": pl.Float64(),
}
#: columns of every frame ``read_items`` yields
ITEM_SCHEMA: dict[str, pl.DataType] = {
    "item": pl.String(),
    "creator": pl.String(),
    "creator_name": pl.String(),
    "title": pl.String(),
    "caption": pl.String(),
    "category": pl.String(),
    "tags": pl.List(pl.String()),
    "duration_ms": pl.Int64(),
    "created_at_ms": pl.Int64(),
}
#: columns of every frame ``read_users`` yields (``attrs`` is a JSON object as text)
USER_SCHEMA: dict[str, pl.DataType] = {
    "user": pl.String(),
    "region": pl.String(),
    "segment": pl.String(),
    "attrs": pl.String(),
}


def user_id(prefix: str, raw: pl.Expr) -> pl.Expr:
    """The external user id of a dataset's raw user id, e.g. ``kr:u17``."""
    return pl.concat_str([pl.lit(f"{prefix}:u"), raw.cast(pl.String)])


def item_id(prefix: str, raw: pl.Expr) -> pl.Expr:
    """The external item id of a dataset's raw item id, e.g. ``kr:v5543``."""
    return pl.concat_str([pl.lit(f"{prefix}:v"), raw.cast(pl.String)])


def creator_id(prefix: str, raw: pl.Expr) -> pl.Expr:
    """The external creator id of a dataset's raw author id, e.g. ``kr:a7349781``."""
    return pl.concat_str([pl.lit(f"{prefix}:a"), raw.cast(pl.String)])


@dataclass(frozen=True)
class Rule:
    """One event type emitted for the rows of a log where ``when`` holds (every row if None)."""

    type: str
    when: pl.Expr | None = None
    watch_ms: pl.Expr | None = None
    duration_ms: pl.Expr | None = None
    value: pl.Expr | None = None


def explode(base: pl.DataFrame, *, prefix: str, rules: Sequence[Rule]) -> pl.DataFrame:
    """Turn log rows (``user_raw``, ``item_raw``, ``ts_ms`` + signals) into event rows.

    Each event's client id is ``<prefix>:<user>:<item>:<ts_ms>:<type>``: derived from the row
    alone, so importing the same file twice stores nothing new.
    """
    none_int = pl.lit(None, dtype=pl.Int64)
    parts = [
        (base if rule.when is None else base.filter(rule.when)).select(
            pl.col("user_raw").cast(pl.String),
            pl.col("item_raw").cast(pl.String),
            pl.col("ts_ms").cast(pl.Int64),
            pl.lit(rule.type).alias("type"),
            (rule.watch_ms if rule.watch_ms is not None else none_int)
            .cast(pl.Int64)
            .alias("watch_ms"),
            (rule.duration_ms if rule.duration_ms is not None else none_int)
            .cast(pl.Int64)
            .alias("duration_ms"),
            (rule.value if rule.value is not None else pl.lit(None, dtype=pl.Float64))
            .cast(pl.Float64)
            .alias("value"),
        )
        for rule in rules
    ]
    frame = pl.concat(parts)
    return frame.select(
        pl.concat_str(
            [
                pl.lit(f"{prefix}:"),
                pl.col("user_raw"),
                pl.lit(":"),
                pl.col("item_raw"),
                pl.lit(":"),
                pl.col("ts_ms").cast(pl.String),
                pl.lit(":"),
                pl.col("type"),
            ]
        ).alias("id"),
        user_id(prefix, pl.col("user_raw")).alias("user"),
        item_id(prefix, pl.col("item_raw")).alias("item"),
        "type",
        "ts_ms",
        "watch_ms",
        "duration_ms",
        "value",
    )


def watchable(watch: pl.Expr, duration: pl.Expr) -> pl.Expr:
    """Rows with some watch time and a duration that make a valid ``watch`` event."""
    return (watch > 0) & (duration > 0) & (duration <= MAX_DURATION_MS)


def capped_watch(watch: pl.Expr) -> pl.Expr:
    """Watch time capped at the vocabulary's 24 h limit (logs hold a few runaway timers)."""
    return pl.min_horizontal(watch, pl.lit(MAX_WATCH_MS))


def day_ms(day: pl.Expr, *, tz: str, fmt: str) -> pl.Expr:
    """Epoch ms of midnight (in ``tz``) of a date held as text in format ``fmt``."""
    return (
        day.cast(pl.String)
        .str.to_date(fmt, strict=False)
        .cast(pl.Datetime("ms"))
        .dt.replace_time_zone(tz)
        .dt.epoch("ms")
    )


def conform(frame: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``frame`` with exactly ``schema``'s columns, in order (missing ones null)."""
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )
