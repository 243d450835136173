"""Public recommendation datasets as ``FeedData`` for ``laotie evaluate``.

The events and item attributes come from the foundation's importers
(``laotie.store.importers.<name>.read_events`` / ``read_items``), the same readers
``laotie import`` uses; this module maps them to dense internal ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl

from laotie.core.errors import NotFound
from laotie.feed.signals import FeedData
from laotie.store.importers import EVENT_SCHEMA, dataset

#: the importer's event columns the evaluation reads (all but the client event id)
CONTRACT: dict[str, pl.DataType] = {k: v for k, v in EVENT_SCHEMA.items() if k != "id"}


def _contract(frame: pl.DataFrame) -> pl.DataFrame:
    for name, dtype in CONTRACT.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=dtype).alias(name))
    return frame.select([pl.col(n).cast(t) for n, t in CONTRACT.items()])


def _readers(
    name: str,
) -> tuple[Callable[[Path], Iterator[pl.DataFrame]], Callable[[Path], pl.DataFrame | None]]:
    """The importer's event reader, and its item reader folded into one frame."""
    module = dataset(name)  # InvalidInput naming the known datasets for any other name
    items = module.read_items

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

    return module.read_events, read_items


def read_dataset(name: str, directory: Path) -> FeedData:
    """A dataset as ``FeedData`` with dense internal ids (items 1..N, users 1..M)."""
    read_events, read_items = _readers(name)
    if not directory.is_dir():
        raise NotFound(f"dataset directory {directory} does not exist", field="dataset")
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
