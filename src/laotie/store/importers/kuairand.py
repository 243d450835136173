"""KuaiRand (Pure / 1K / 27K) as published: interaction logs, user and video features.

Files read from the dataset's ``data`` folder: ``log_standard_*.csv`` and ``log_random_*.csv``
(or, when there are none, a ``*sample*.csv`` extract), ``user_features*.csv`` and
``video_features_basic*.csv``. Every log row is one impression; its feedback signals become
events (see docs/importers.md for the mapping). Logs are streamed in blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa

from laotie.core.errors import NotFound
from laotie.core.events import MAX_DURATION_MS
from laotie.store.importers import _csv
from laotie.store.importers._frames import (
    EVENT_SCHEMA,
    ITEM_SCHEMA,
    USER_SCHEMA,
    Rule,
    capped_watch,
    conform,
    creator_id,
    day_ms,
    explode,
    item_id,
    user_id,
    watchable,
)

PREFIX = "kr"
TIMEZONE = "Asia/Shanghai"
#: 2022-04-08 00:00 Beijing, the first day of the logs: the clock of extracts without time
FIRST_DAY_MS = 1_649_347_200_000

_LOG_TYPES = {
    "user_id": pa.int64(),
    "video_id": pa.int64(),
    "date": pa.int64(),
    "hourmin": pa.int64(),
    "time_ms": pa.int64(),
    "is_click": pa.int64(),
    "is_like": pa.int64(),
    "is_follow": pa.int64(),
    "is_comment": pa.int64(),
    "is_forward": pa.int64(),
    "is_hate": pa.int64(),
    "play_time_ms": pa.float64(),
    "duration_ms": pa.float64(),
}
_FLAGS = {
    "play": "is_click",
    "like": "is_like",
    "follow": "is_follow",
    "comment": "is_comment",
    "share": "is_forward",
    "hate": "is_hate",
}


def event_files(directory: Path) -> list[Path]:
    """The interaction logs of a KuaiRand folder, standard before random."""
    paths = sorted(directory.glob("log_standard_*.csv")) + sorted(
        directory.glob("log_random_*.csv")
    )
    if not paths:
        paths = sorted(directory.glob("*sample*.csv"))
    if not paths:
        raise NotFound(
            f"no KuaiRand log_standard_*.csv, log_random_*.csv or *sample*.csv in {directory}",
            field="directory",
        )
    return paths


def read_events(
    directory: Path,
    *,
    block_bytes: int = _csv.BLOCK_BYTES,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[pl.DataFrame]:
    """Event frames (``EVENT_SCHEMA``) of every log, one per block of ``block_bytes``.

    ``on_rows`` is called with the number of log rows behind each yielded frame.
    """
    offset = 0
    for path in event_files(directory):
        for block in _csv.stream(path, types=_LOG_TYPES, block_bytes=block_bytes):
            frame = _events(block, offset)
            offset += block.height
            if on_rows is not None:
                on_rows(block.height)
            yield frame


def _timestamp(block: pl.DataFrame, offset: int) -> pl.Expr:
    if "time_ms" in block.columns:
        return pl.col("time_ms")
    if "date" in block.columns and "hourmin" in block.columns:
        minutes = (pl.col("hourmin") // 100) * 60 + pl.col("hourmin") % 100
        return day_ms(pl.col("date"), tz=TIMEZONE, fmt="%Y%m%d") + minutes * 60_000
    # extracts without time keep their file order, one ms apart, from the first day
    return pl.int_range(pl.len(), dtype=pl.Int64) + FIRST_DAY_MS + offset


def _events(block: pl.DataFrame, offset: int) -> pl.DataFrame:
    base = block.with_columns(
        pl.col("user_id").alias("user_raw"),
        pl.col("video_id").alias("item_raw"),
        _timestamp(block, offset).cast(pl.Int64).alias("ts_ms"),
    ).filter(pl.col("user_raw").is_not_null() & pl.col("item_raw").is_not_null())
    base = base.filter(pl.col("ts_ms").is_not_null())
    watch = pl.col("play_time_ms").round().cast(pl.Int64)
    duration = pl.col("duration_ms").round().cast(pl.Int64)
    rules = [Rule("impression")]
    rules += [
        Rule(kind, when=pl.col(column) == 1)
        for kind, column in _FLAGS.items()
        if column in base.columns and kind == "play"
    ]
    if "play_time_ms" in base.columns and "duration_ms" in base.columns:
        rules.append(
            Rule(
                "watch",
                when=watchable(watch, duration),
                watch_ms=capped_watch(watch),
                duration_ms=duration,
            )
        )
    rules += [
        Rule(kind, when=pl.col(column) == 1)
        for kind, column in _FLAGS.items()
        if column in base.columns and kind != "play"
    ]
    return conform(explode(base, prefix=PREFIX, rules=rules), EVENT_SCHEMA)


def read_items(directory: Path) -> Iterator[pl.DataFrame]:
    """Item frames (``ITEM_SCHEMA``) from ``video_features_basic*.csv``; none if absent."""
    types = {
        "video_id": pa.int64(),
        "author_id": pa.int64(),
        "video_type": pa.string(),
        "upload_dt": pa.string(),
        "upload_type": pa.string(),
        "video_duration": pa.float64(),
        "tag": pa.string(),
    }
    for path in sorted(directory.glob("video_features_basic*.csv")):
        for block in _csv.stream(path, types=types):
            yield conform(_items(block), ITEM_SCHEMA)


def _items(block: pl.DataFrame) -> pl.DataFrame:
    author = pl.col("author_id").fill_null(-1).cast(pl.String)
    tags = (
        pl.col("tag")
        .fill_null("")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    )
    kind = pl.concat_list([pl.lit("type:") + pl.col("video_type").fill_null("UNKNOWN")])
    duration = pl.col("video_duration").fill_null(0).round().cast(pl.Int64)
    return block.filter(pl.col("video_id").is_not_null()).select(
        item_id(PREFIX, pl.col("video_id")).alias("item"),
        creator_id(PREFIX, author).alias("creator"),
        pl.concat_str([pl.lit("KuaiRand author "), author]).alias("creator_name"),
        pl.concat_str([pl.lit("KuaiRand video "), pl.col("video_id").cast(pl.String)]).alias(
            "title"
        ),
        pl.lit("").alias("caption"),
        tags.list.first().fill_null("").alias("category"),
        pl.concat_list([tags.list.eval(pl.lit("tag:") + pl.element()), kind]).alias("tags"),
        duration.clip(0, MAX_DURATION_MS).alias("duration_ms"),
        day_ms(pl.col("upload_dt"), tz=TIMEZONE, fmt="%Y-%m-%d").alias("created_at_ms"),
    )


def read_users(directory: Path) -> Iterator[pl.DataFrame]:
    """User frames (``USER_SCHEMA``) from ``user_features*.csv``; none if absent."""
    for path in sorted(directory.glob("user_features*.csv")):
        yield from user_features(path, prefix=PREFIX)


def user_features(path: Path, *, prefix: str) -> Iterator[pl.DataFrame]:
    """The 31-column user feature table shared by KuaiRand and KuaiRec as ``USER_SCHEMA``."""
    columns = _csv.header(path)
    types = {c: pa.string() for c in columns} | {"user_id": pa.int64()}
    for block in _csv.stream(path, types=types):
        attrs = [c for c in block.columns if c not in ("user_id", "user_active_degree")]
        frame = block.filter(pl.col("user_id").is_not_null()).select(
            user_id(prefix, pl.col("user_id")).alias("user"),
            (
                pl.col("user_active_degree")
                if "user_active_degree" in block.columns
                else pl.lit(None, dtype=pl.String)
            ).alias("segment"),
            pl.struct(attrs).struct.json_encode().alias("attrs") if attrs else pl.lit("{}"),
        )
        yield conform(frame, USER_SCHEMA)
