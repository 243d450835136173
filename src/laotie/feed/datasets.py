"""Readers of public recommendation datasets into ``FeedData`` for ``laotie evaluate``.

Each reader yields event frames with the importer contract's columns — ``user``, ``item``
(external string ids), ``type``, ``ts_ms``, ``watch_ms``, ``duration_ms``, ``value`` — and,
where the dataset has them, item attributes. When ``laotie.store.importers.<name>`` exists its
``read_events(dir)`` is used instead of the reader here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from laotie.core.errors import InvalidInput, NotFound
from laotie.feed.signals import FeedData

CONTRACT: dict[str, pl.DataType] = {
    "user": pl.String(),
    "item": pl.String(),
    "type": pl.String(),
    "ts_ms": pl.Int64(),
    "watch_ms": pl.Int64(),
    "duration_ms": pl.Int64(),
    "value": pl.Float64(),
}
DATASETS = ("home", "movielens", "kuairand", "kuairec")


def _contract(frame: pl.DataFrame) -> pl.DataFrame:
    for name, dtype in CONTRACT.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return frame.select([pl.col(n).cast(t) for n, t in CONTRACT.items()])


def _csv(path: Path, **options: object) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema_length=10_000, **options)  # type: ignore[arg-type]


# --- MovieLens ------------------------------------------------------------------------------


def movielens_events(directory: Path) -> Iterator[pl.DataFrame]:
    """``ratings.csv`` (ml-latest), ``ratings.dat`` (ml-1m/10m) or ``u.data`` (ml-100k)."""
    if (directory / "ratings.csv").is_file():
        frame = _csv(directory / "ratings.csv").rename(
            {"userId": "user", "movieId": "item", "rating": "value", "timestamp": "ts"}
        )
    elif (directory / "ratings.dat").is_file():
        frame = _split_lines(directory / "ratings.dat", "::", ["user", "item", "value", "ts"])
    elif (directory / "u.data").is_file():
        frame = _split_lines(directory / "u.data", "\t", ["user", "item", "value", "ts"])
    else:
        raise NotFound(f"no ratings.csv, ratings.dat or u.data in {directory}", field="dataset")
    yield _contract(
        frame.with_columns(
            pl.col("user").cast(pl.String),
            pl.col("item").cast(pl.String),
            pl.lit("rate").alias("type"),
            (pl.col("ts").cast(pl.Int64) * 1000).alias("ts_ms"),
            pl.col("value").cast(pl.Float64),
        )
    )


def _split_lines(path: Path, separator: str, names: list[str]) -> pl.DataFrame:
    lines = path.read_text(encoding="latin-1").splitlines()
    rows = [line.split(separator)[: len(names)] for line in lines if line.strip()]
    return pl.DataFrame(rows, schema=names, orient="row")


def movielens_items(directory: Path) -> pl.DataFrame | None:
    """Titles and first genre of ``movies.csv`` / ``movies.dat`` when present."""
    if (directory / "movies.csv").is_file():
        frame = _csv(directory / "movies.csv").rename({"movieId": "item"})
    elif (directory / "movies.dat").is_file():
        frame = _split_lines(directory / "movies.dat", "::", ["item", "title", "genres"])
    else:
        return None
    return frame.select(
        pl.col("item").cast(pl.String),
        pl.col("title").cast(pl.String),
        pl.col("genres").cast(pl.String).str.split("|").list.first().alias("category"),
        pl.col("genres").cast(pl.String).alias("caption"),
    )


# --- KuaiRand ---------------------------------------------------------------------------------


def kuairand_events(directory: Path) -> Iterator[pl.DataFrame]:
    """``log_*.csv`` (or the ``*sample*.csv`` extract): one impression row -> its events."""
    paths = sorted(directory.glob("log_*.csv")) or sorted(directory.glob("*sample*.csv"))
    if not paths:
        raise NotFound(f"no KuaiRand log_*.csv in {directory}", field="dataset")
    offset = 0
    for path in paths:
        frame = _csv(path)
        if "time_ms" not in frame.columns:  # the sample extract has no time: keep file order
            frame = frame.with_columns((pl.int_range(pl.len()) * 1000 + offset).alias("time_ms"))
            offset += frame.height * 1000
        yield from _impression_rows(
            frame,
            item="video_id",
            watch="play_time_ms",
            duration="duration_ms",
            flags={
                "play": "is_click",
                "like": "is_like",
                "follow": "is_follow",
                "comment": "is_comment",
                "share": "is_forward",
                "hate": "is_hate",
            },
        )


def _impression_rows(
    frame: pl.DataFrame, *, item: str, watch: str, duration: str, flags: dict[str, str]
) -> Iterator[pl.DataFrame]:
    base = frame.select(
        pl.col("user_id").cast(pl.String).alias("user"),
        pl.col(item).cast(pl.String).alias("item"),
        pl.col("time_ms").cast(pl.Int64).alias("ts_ms"),
        pl.col(watch).cast(pl.Int64).alias("watch_ms"),
        pl.col(duration).cast(pl.Int64).alias("duration_ms"),
        *[
            pl.col(column).cast(pl.Int64).fill_null(0).alias(name)
            for name, column in flags.items()
            if column in frame.columns
        ],
    )
    yield _contract(
        base.with_columns(pl.lit("impression").alias("type"), pl.lit(None).alias("watch_ms"))
    )
    yield _contract(
        base.filter(pl.col("duration_ms") > 0).with_columns(pl.lit("watch").alias("type"))
    )
    for offset, name in enumerate(flags, start=1):
        if name in base.columns:
            yield _contract(
                base.filter(pl.col(name) > 0).with_columns(
                    pl.lit(name).alias("type"),
                    pl.col("ts_ms") + offset,
                    pl.lit(None).alias("watch_ms"),
                )
            )


def kuairand_items(directory: Path) -> pl.DataFrame | None:
    """``video_features_basic*.csv``: author, duration, tag, upload date."""
    paths = sorted(directory.glob("video_features_basic*.csv"))
    if not paths:
        return None
    frame = _csv(paths[0])
    return frame.select(
        pl.col("video_id").cast(pl.String).alias("item"),
        pl.col("author_id").cast(pl.Int64).alias("creator_id"),
        pl.col("video_duration").cast(pl.Float64).fill_null(0).cast(pl.Int64).alias("duration_ms"),
        pl.col("tag").cast(pl.String).fill_null("").str.split(",").list.first().alias("category"),
        pl.col("upload_dt")
        .cast(pl.String)
        .str.to_date(strict=False)
        .cast(pl.Datetime("ms"))
        .cast(pl.Int64)
        .fill_null(0)
        .alias("created_at_ms"),
    )


# --- KuaiRec ----------------------------------------------------------------------------------


def kuairec_events(directory: Path) -> Iterator[pl.DataFrame]:
    """``small_matrix.csv`` (preferred) or ``big_matrix.csv``: watch rows -> events."""
    path = next(
        (
            directory / n
            for n in ("small_matrix.csv", "big_matrix.csv")
            if (directory / n).is_file()
        ),
        None,
    )
    if path is None:
        raise NotFound(
            f"no KuaiRec small_matrix.csv or big_matrix.csv in {directory}", field="dataset"
        )
    frame = _csv(path).with_columns(
        (pl.col("timestamp").cast(pl.Float64).fill_null(0) * 1000).cast(pl.Int64).alias("time_ms"),
        (pl.col("play_duration") >= pl.min_horizontal(pl.col("video_duration"), pl.lit(7000)))
        .cast(pl.Int64)
        .alias("is_click"),
    )
    yield from _impression_rows(
        frame,
        item="video_id",
        watch="play_duration",
        duration="video_duration",
        flags={"play": "is_click"},
    )


def kuairec_items(directory: Path) -> pl.DataFrame | None:
    """``kuairec_caption_category.csv``: caption and first-level category name."""
    path = directory / "kuairec_caption_category.csv"
    if not path.is_file():
        return None
    frame = _csv(path, quote_char='"')
    return frame.select(
        pl.col("video_id").cast(pl.String).alias("item"),
        pl.col("caption").cast(pl.String).fill_null("").alias("title"),
        pl.col("first_level_category_name").cast(pl.String).fill_null("").alias("category"),
    )


READERS: dict[
    str, tuple[Callable[[Path], Iterator[pl.DataFrame]], Callable[[Path], pl.DataFrame | None]]
] = {
    "movielens": (movielens_events, movielens_items),
    "kuairand": (kuairand_events, kuairand_items),
    "kuairec": (kuairec_events, kuairec_items),
}


def _readers(
    name: str,
) -> tuple[Callable[[Path], Iterator[pl.DataFrame]], Callable[[Path], pl.DataFrame | None]]:
    """The foundation importer's readers when it exists, else the ones here."""
    try:
        module = importlib.import_module(f"laotie.store.importers.{name}")
    except ImportError:
        return READERS[name]
    events = getattr(module, "read_events", None)
    items = getattr(module, "read_items", None)
    if not callable(events) or not callable(items):
        return READERS[name]

    def read_items(directory: Path) -> pl.DataFrame | None:
        frames = list(items(directory))
        if not frames:
            return None
        frame = pl.concat(frames).unique("item", keep="first")
        creator = frame["creator"].fill_null("")
        codes = {c: k + 1 for k, c in enumerate(creator.unique().sort().to_list()) if c}
        if len(codes) < 2:  # one placeholder creator for everything says nothing about authors
            codes = {}
        return (
            frame.drop("tags", "creator_name", strict=False)
            .with_columns(
                creator.replace_strict(codes, default=None, return_dtype=pl.Int64).alias(
                    "creator_id"
                )
            )
            .drop("creator")
        )

    return events, read_items


def read_dataset(name: str, directory: Path) -> FeedData:
    """A dataset as ``FeedData`` with dense internal ids (items 1..N, users 1..M)."""
    if name not in READERS:
        raise InvalidInput(
            f"unknown dataset {name!r}; known: {', '.join(DATASETS)}", field="dataset"
        )
    if not directory.is_dir():
        raise NotFound(f"dataset directory {directory} does not exist", field="dataset")
    read_events, read_items = _readers(name)
    events = pl.concat([_contract(f) for f in read_events(directory)])
    events = events.filter(pl.col("user").is_not_null() & pl.col("item").is_not_null())
    meta = read_items(directory)
    items = pl.DataFrame({"item": events["item"].unique().sort()})
    if meta is not None:
        items = items.join(meta.unique("item"), on="item", how="left")
    items = items.with_row_index("id", offset=1).with_columns(pl.col("id").cast(pl.Int64))
    users = events.select(pl.col("user").unique().sort()).with_row_index("user_id", offset=1)
    mapped = (
        events.join(users, on="user")
        .join(items.select("item", pl.col("id").alias("item_id")), on="item")
        .with_columns(pl.col("user_id").cast(pl.Int64))
        .drop("user", "item")
    )
    first_seen = mapped.group_by("item_id").agg(pl.col("ts_ms").min().alias("first_ts"))
    items = items.join(first_seen, left_on="id", right_on="item_id", how="left")
    created = (
        pl.when(pl.col("created_at_ms").is_not_null() & (pl.col("created_at_ms") > 0))
        .then(pl.col("created_at_ms"))
        .otherwise(pl.col("first_ts"))
        if "created_at_ms" in items.columns
        else pl.col("first_ts")
    )
    items = items.with_columns(
        pl.col("item").alias("external_id"),
        pl.min_horizontal(created, pl.col("first_ts")).alias("created_at_ms"),
    ).drop("first_ts")
    if "title" not in items.columns:
        items = items.with_columns(pl.col("item").alias("title"))
    return FeedData(items=items.drop("item"), events=mapped)
