"""KuaiRec 2.0 as published: the small and big watch matrices and the side tables.

Files read from the dataset's ``data`` folder: ``small_matrix.csv`` and/or ``big_matrix.csv``
(user_id, video_id, play_duration, video_duration, time, date, timestamp, watch_ratio),
``kuairec_caption_category.csv``, ``item_categories.csv``, ``user_features.csv`` and, when
present, ``item_daily_features.csv`` (for authors). Matrices are streamed in blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import polars as pl
import pyarrow as pa

from laotie.core.errors import NotFound
from laotie.core.watch import valid_play_expr
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
    watchable,
)
from laotie.store.importers.kuairand import user_features

PREFIX = "kc"
TIMEZONE = "Asia/Shanghai"
MATRICES = ("small_matrix.csv", "big_matrix.csv")
#: creation time of items without one: 2020-07-05 00:00 Beijing, the first day of the logs
FIRST_DAY_MS = 1_593_878_400_000
UNKNOWN_AUTHOR = "unknown"
_UNKNOWN = ("UNKNOWN", "", "-124")

_MATRIX_TYPES = {
    "user_id": pa.int64(),
    "video_id": pa.int64(),
    "play_duration": pa.float64(),
    "video_duration": pa.float64(),
    "date": pa.float64(),
    "timestamp": pa.float64(),
}


def event_files(directory: Path, *, matrices: Sequence[str] = MATRICES) -> list[Path]:
    """The watch matrices present in a KuaiRec folder."""
    paths = [directory / name for name in matrices if (directory / name).is_file()]
    if not paths:
        raise NotFound(f"no KuaiRec {' or '.join(matrices)} in {directory}", field="directory")
    return paths


def read_events(
    directory: Path,
    *,
    matrices: Sequence[str] = MATRICES,
    block_bytes: int = _csv.BLOCK_BYTES,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[pl.DataFrame]:
    """Event frames (``EVENT_SCHEMA``) of the matrices, one per block of ``block_bytes``.

    Rows without ``timestamp`` use midnight of ``date``; rows with neither are skipped.
    ``on_rows`` is called with the number of matrix rows behind each yielded frame.
    """
    for path in event_files(directory, matrices=matrices):
        for block in _csv.stream(path, types=_MATRIX_TYPES, block_bytes=block_bytes):
            yield _events(block)
            if on_rows is not None:
                on_rows(block.height)


def _events(block: pl.DataFrame) -> pl.DataFrame:
    stamp = (pl.col("timestamp") * 1000).round().cast(pl.Int64)
    midnight = day_ms(pl.col("date").cast(pl.Int64), tz=TIMEZONE, fmt="%Y%m%d")
    watch = pl.col("play_duration").round().cast(pl.Int64)
    duration = pl.col("video_duration").round().cast(pl.Int64)
    base = block.with_columns(
        pl.col("user_id").alias("user_raw"),
        pl.col("video_id").alias("item_raw"),
        pl.coalesce(stamp, midnight).alias("ts_ms"),
    ).filter(
        pl.col("user_raw").is_not_null()
        & pl.col("item_raw").is_not_null()
        & pl.col("ts_ms").is_not_null()
    )
    rules = [
        Rule("impression"),
        Rule("play", when=valid_play_expr(watch, duration)),
        Rule(
            "watch",
            when=watchable(watch, duration).fill_null(False),
            watch_ms=capped_watch(watch),
            duration_ms=duration,
        ),
    ]
    return conform(explode(base, prefix=PREFIX, rules=rules), EVENT_SCHEMA)


def _clean(column: str) -> pl.Expr:
    value = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(value.is_in(_UNKNOWN) | value.is_null()).then(None).otherwise(value)


def _authors(directory: Path) -> pl.DataFrame | None:
    path = directory / "item_daily_features.csv"
    if not path.is_file():
        return None
    types = {"video_id": pa.int64(), "author_id": pa.int64(), "video_duration": pa.float64()}
    blocks = [
        block.group_by("video_id").agg(pl.all().drop_nulls().first())
        for block in _csv.stream(path, types=types)
    ]
    return pl.concat(blocks).group_by("video_id").agg(pl.all().drop_nulls().first())


def read_items(directory: Path) -> Iterator[pl.DataFrame]:
    """Item frames (``ITEM_SCHEMA``) from the caption/category and item category tables."""
    captions_path = directory / "kuairec_caption_category.csv"
    if not captions_path.is_file():
        return
    # a small table (one row per video) whose captions hold bare CRs, which Arrow's CSV reader
    # takes for line ends: Polars ends lines only at LF
    captions = pl.read_csv(captions_path, infer_schema_length=0).with_columns(
        pl.col("video_id").cast(pl.Int64, strict=False)
    )
    features_path = directory / "item_categories.csv"
    if features_path.is_file():
        features = pl.concat(
            list(_csv.stream(features_path, types={"video_id": pa.int64(), "feat": pa.string()}))
        )
        captions = captions.join(features, on="video_id", how="left")
    authors = _authors(directory)
    if authors is not None:
        captions = captions.join(authors, on="video_id", how="left")
    yield conform(_items(captions), ITEM_SCHEMA)


def _items(frame: pl.DataFrame) -> pl.DataFrame:
    caption = pl.col("caption").fill_null("").str.strip_chars()
    cover = _clean("manual_cover_text")
    first_line = caption.str.replace_all("\r", "\n").str.split("\n").list.first().str.strip_chars()
    title = (
        pl.when(first_line != "")
        .then(first_line)
        .when(cover.is_not_null())
        .then(cover)
        .otherwise(pl.concat_str([pl.lit("KuaiRec video "), pl.col("video_id").cast(pl.String)]))
    )
    levels = [_clean(f"{level}_level_category_name") for level in ("first", "second", "third")]
    topics = (
        pl.col("topic_tag")
        .fill_null("[]")
        .str.strip_chars("[]")
        .str.split(",")
        .list.eval(pl.element().str.strip_chars().filter(pl.element() != ""))
    )
    features = (
        pl.col("feat").fill_null("[]").str.strip_chars("[]").str.split(",")
        .list.eval(pl.lit("feat:") + pl.element().str.strip_chars().filter(pl.element() != ""))
        if "feat" in frame.columns
        else pl.lit([], dtype=pl.List(pl.String))
    )  # fmt: skip
    has_author = "author_id" in frame.columns
    author = pl.col("author_id").cast(pl.String) if has_author else pl.lit(None, pl.String)
    return frame.filter(pl.col("video_id").is_not_null()).select(
        item_id(PREFIX, pl.col("video_id")).alias("item"),
        creator_id(PREFIX, author.fill_null(UNKNOWN_AUTHOR)).alias("creator"),
        pl.when(author.is_null())
        .then(pl.lit("KuaiRec (author unknown)"))
        .otherwise(pl.concat_str([pl.lit("KuaiRec author "), author]))
        .alias("creator_name"),
        title.str.slice(0, 200).alias("title"),
        caption.alias("caption"),
        pl.concat_str(levels, separator="/", ignore_nulls=True).alias("category"),
        pl.concat_list([topics, features]).list.head(50).alias("tags"),
        (
            pl.col("video_duration").fill_null(0).round().cast(pl.Int64).clip(0, 86_400_000)
            if "video_duration" in frame.columns
            else pl.lit(0)
        ).alias("duration_ms"),
        pl.lit(FIRST_DAY_MS).alias("created_at_ms"),
    )


def read_users(directory: Path) -> Iterator[pl.DataFrame]:
    """User frames (``USER_SCHEMA``) from ``user_features.csv``; none if absent."""
    path = directory / "user_features.csv"
    if path.is_file():
        yield from (conform(f, USER_SCHEMA) for f in user_features(path, prefix=PREFIX))
