"""MovieLens as published by GroupLens: ml-100k (``u.data``/``u.item``/``u.user``) and the
CSV releases (ml-latest, ml-latest-small, ml-25m, ml-32m: ``ratings.csv``/``movies.csv``).

Every rating becomes one ``rate`` event whose value is the rating (0.5..5 stars). The two
layouts number users independently, so their ids get different prefixes (``ml100k:`` and
``ml:``). Ratings are streamed in blocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pyarrow as pa

from laotie.core.errors import NotFound
from laotie.store.importers import _csv
from laotie.store.importers._frames import (
    EVENT_SCHEMA,
    ITEM_SCHEMA,
    USER_SCHEMA,
    Rule,
    conform,
    creator_id,
    explode,
    item_id,
    user_id,
)

#: u.item's 19 genre flags, in file order
GENRES_100K = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)
_U_ITEM = ("movie_id", "title", "release_date", "video_release_date", "imdb_url", *GENRES_100K)
_U_USER = ("user_id", "age", "gender", "occupation", "zip_code")
STUDIO = "grouplens"


def layout(directory: Path) -> str:
    """``"100k"`` (u.data) or ``"csv"`` (ratings.csv); NotFound when neither is there."""
    if (directory / "ratings.csv").is_file():
        return "csv"
    if (directory / "u.data").is_file():
        return "100k"
    raise NotFound(f"no MovieLens ratings.csv or u.data in {directory}", field="directory")


def prefix(directory: Path) -> str:
    """The id prefix of the folder's layout."""
    return "ml100k" if layout(directory) == "100k" else "ml"


def event_files(directory: Path) -> list[Path]:
    """The ratings file of a MovieLens folder."""
    return [directory / ("u.data" if layout(directory) == "100k" else "ratings.csv")]


def read_events(
    directory: Path,
    *,
    block_bytes: int = _csv.BLOCK_BYTES,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[pl.DataFrame]:
    """``rate`` event frames (``EVENT_SCHEMA``), one per block of ``block_bytes``.

    ``on_rows`` is called with the number of ratings behind each yielded frame.
    """
    tag = prefix(directory)
    if layout(directory) == "100k":
        names = ("user_id", "movie_id", "rating", "timestamp")
        blocks = _csv.stream(
            directory / "u.data",
            types=dict.fromkeys(("user_id", "movie_id", "timestamp"), pa.int64())
            | {"rating": pa.float64()},
            names=names,
            delimiter="\t",
            quoting=False,
            block_bytes=block_bytes,
        )
        renames = {"movie_id": "movieId", "user_id": "userId"}
    else:
        blocks = _csv.stream(
            directory / "ratings.csv",
            types=dict.fromkeys(("userId", "movieId", "timestamp"), pa.int64())
            | {"rating": pa.float64()},
            block_bytes=block_bytes,
        )
        renames = {}
    for block in blocks:
        base = (
            block.rename(renames)
            .select(
                pl.col("userId").alias("user_raw"),
                pl.col("movieId").alias("item_raw"),
                (pl.col("timestamp") * 1000).alias("ts_ms"),
                pl.col("rating"),
            )
            .drop_nulls()
        )
        yield conform(
            explode(base, prefix=tag, rules=[Rule("rate", value=pl.col("rating"))]),
            EVENT_SCHEMA,
        )
        if on_rows is not None:
            on_rows(block.height)


def _year_ms(title: pl.Expr) -> pl.Expr:
    year = title.str.extract(r"\((\d{4})\)\s*$", 1).cast(pl.Int32, strict=False)
    return pl.date(year, 1, 1).cast(pl.Datetime("ms")).dt.epoch("ms")


def read_items(directory: Path) -> Iterator[pl.DataFrame]:
    """Movie frames (``ITEM_SCHEMA``) from ``u.item`` or ``movies.csv``; none if absent."""
    tag = prefix(directory)
    if layout(directory) == "100k":
        path = directory / "u.item"
        if not path.is_file():
            return
        types = {"movie_id": pa.int64(), "title": pa.string(), "release_date": pa.string()}
        types |= dict.fromkeys(GENRES_100K, pa.int8())
        for block in _csv.stream(
            path, types=types, names=_U_ITEM, delimiter="|", encoding="latin-1", quoting=False
        ):
            genres = pl.concat_list(
                [pl.when(pl.col(g) == 1).then(pl.lit(g)) for g in GENRES_100K]
            ).list.drop_nulls()
            released = (
                pl.col("release_date")
                .str.to_date("%d-%b-%Y", strict=False)
                .cast(pl.Datetime("ms"))
                .dt.epoch("ms")
            )
            yield _movies(block, tag, genres, pl.coalesce(released, _year_ms(pl.col("title"))))
    else:
        path = directory / "movies.csv"
        if not path.is_file():
            return
        types = {"movieId": pa.int64(), "title": pa.string(), "genres": pa.string()}
        for block in _csv.stream(path, types=types):
            genres = (
                pl.col("genres")
                .fill_null("")
                .str.split("|")
                .list.eval(pl.element().filter(~pl.element().is_in(["", "(no genres listed)"])))
            )
            block = block.rename({"movieId": "movie_id"})
            yield _movies(block, tag, genres, _year_ms(pl.col("title")))


def _movies(block: pl.DataFrame, tag: str, genres: pl.Expr, created: pl.Expr) -> pl.DataFrame:
    title = pl.col("title").fill_null("").str.strip_chars()
    frame = block.filter(pl.col("movie_id").is_not_null()).select(
        item_id(tag, pl.col("movie_id")).alias("item"),
        creator_id(tag, pl.lit(STUDIO)).alias("creator"),
        pl.lit("MovieLens (GroupLens)").alias("creator_name"),
        pl.when(title == "")
        .then(pl.concat_str([pl.lit("MovieLens movie "), pl.col("movie_id").cast(pl.String)]))
        .otherwise(title)
        .str.slice(0, 200)
        .alias("title"),
        genres.list.join("|").alias("caption"),
        genres.list.first().fill_null("").alias("category"),
        genres.alias("tags"),
        pl.lit(0).alias("duration_ms"),
        created.alias("created_at_ms"),
    )
    return conform(frame, ITEM_SCHEMA)


def read_users(directory: Path) -> Iterator[pl.DataFrame]:
    """User frames (``USER_SCHEMA``) from ml-100k's ``u.user``; the CSV releases have none."""
    path = directory / "u.user"
    if layout(directory) != "100k" or not path.is_file():
        return
    types = {"user_id": pa.int64()} | dict.fromkeys(_U_USER[1:], pa.string())
    for block in _csv.stream(path, types=types, names=_U_USER, delimiter="|", quoting=False):
        frame = block.filter(pl.col("user_id").is_not_null()).select(
            user_id(prefix(directory), pl.col("user_id")).alias("user"),
            pl.col("zip_code").alias("region"),
            pl.col("occupation").alias("segment"),
            pl.struct("age", "gender").struct.json_encode().alias("attrs"),
        )
        yield conform(frame, USER_SCHEMA)
