"""The item catalog as dense numpy arrays indexed by internal item id (the models' item index)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from laotie.core.errors import InvalidInput
from laotie.core.kinds import AigcStatus, ItemKind, ItemStatus

#: dense code of each item kind (index into ``KINDS``)
KINDS: tuple[str, ...] = tuple(kind.value for kind in ItemKind)
KIND_CODES: dict[str, int] = {kind: code for code, kind in enumerate(KINDS)}
#: dense code of each AIGC status (index into ``AIGC_STATUSES``)
AIGC_STATUSES: tuple[str, ...] = tuple(status.value for status in AigcStatus)
AIGC_CODES: dict[str, int] = {status: code for code, status in enumerate(AIGC_STATUSES)}
AIGC_SUSPECTED = AIGC_CODES[AigcStatus.SUSPECTED]
AIGC_NONE = AIGC_CODES[AigcStatus.NONE]

ITEM_COLUMNS: dict[str, pl.DataType] = {
    "id": pl.Int64(),
    "external_id": pl.String(),
    "kind": pl.String(),
    "creator_id": pl.Int64(),
    "series_id": pl.Int64(),
    "novel_id": pl.Int64(),
    "position": pl.Int64(),
    "title": pl.String(),
    "caption": pl.String(),
    "category": pl.String(),
    "duration_ms": pl.Int64(),
    "created_at_ms": pl.Int64(),
    "status": pl.String(),
    "aigc_status": pl.String(),
}


def codes_of_kinds(kinds: list[str]) -> np.ndarray:
    """The codes of item kinds by name; ``InvalidInput`` naming the first unknown one."""
    unknown = [k for k in kinds if k not in KIND_CODES]
    if unknown:
        raise InvalidInput(
            f"unknown kind {unknown[0]!r}; known: {', '.join(KINDS)}",
            field="kind",
            limit=list(KINDS),
        )
    return np.array([KIND_CODES[k] for k in kinds])


def normalize_items(items: pl.DataFrame) -> pl.DataFrame:
    """``items`` with every catalog column present and typed (missing ones get defaults)."""
    defaults: dict[str, object] = {
        "external_id": None,
        "kind": ItemKind.VIDEO.value,
        "creator_id": -1,
        "series_id": None,
        "novel_id": None,
        "position": None,
        "title": "",
        "caption": "",
        "category": "",
        "duration_ms": 0,
        "created_at_ms": 0,
        "status": ItemStatus.PUBLISHED.value,
        "aigc_status": AigcStatus.NONE.value,
    }
    frame = items
    for name, value in defaults.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(value).alias(name))
    frame = frame.select(
        [pl.col(name).cast(dtype) for name, dtype in ITEM_COLUMNS.items()]
    ).with_columns(
        pl.col("external_id").fill_null(pl.col("id").cast(pl.String)),
        pl.col("creator_id").fill_null(-1),
        pl.col("title").fill_null(""),
        pl.col("caption").fill_null(""),
        pl.col("category").fill_null(""),
        pl.col("duration_ms").fill_null(0),
        pl.col("created_at_ms").fill_null(0),
    )
    return frame.sort("id")


@dataclass
class Catalog:
    """Item attributes as arrays of length ``size`` (max internal id + 1).

    ``valid`` marks ids that exist and are published; categories are coded by ``categories``,
    an append-only vocabulary so that codes stay stable across refreshes and model versions.
    """

    size: int
    valid: np.ndarray
    external_id: np.ndarray
    kind: np.ndarray
    creator: np.ndarray
    container: np.ndarray
    position: np.ndarray
    next_item: np.ndarray
    category: np.ndarray
    duration_ms: np.ndarray
    created_at_ms: np.ndarray
    aigc: np.ndarray
    title: np.ndarray
    text: np.ndarray
    categories: list[str]
    creator_ptr: np.ndarray
    creator_items: np.ndarray

    @classmethod
    def from_frame(
        cls, items: pl.DataFrame, *, categories: list[str] | None = None, size: int | None = None
    ) -> Catalog:
        """Build from an items frame (see ``ITEM_COLUMNS``); ``categories`` seeds the vocabulary;
        ``size`` fixes the id space (items at or beyond it are left out; default max id + 1)."""
        frame = normalize_items(items)
        if size is not None:
            frame = frame.filter(pl.col("id") < size)
        ids = frame["id"].to_numpy().astype(np.int64)
        if len(ids) and ids.min() < 0:
            raise ValueError("item ids must be non-negative")
        if size is None:
            size = int(ids.max()) + 1 if len(ids) else 0
        vocab = list(categories or [])
        codes = {name: code for code, name in enumerate(vocab)}
        for name in frame["category"].unique(maintain_order=True).to_list():
            if name not in codes:
                codes[name] = len(vocab)
                vocab.append(name)

        def full(fill: Any, dtype: Any) -> np.ndarray:
            return np.full(size, fill, dtype=dtype)

        valid = full(False, bool)
        valid[ids] = (frame["status"] == ItemStatus.PUBLISHED.value).to_numpy()
        external_id = full("", object)
        external_id[ids] = frame["external_id"].to_numpy()
        kind = full(0, np.int8)
        kind[ids] = frame["kind"].replace_strict(KIND_CODES, default=0).to_numpy()
        creator = full(-1, np.int64)
        creator[ids] = frame["creator_id"].to_numpy()
        series = frame["series_id"].fill_null(-1).to_numpy()
        novel = frame["novel_id"].fill_null(-1).to_numpy()
        container = full(-1, np.int64)
        container[ids] = np.where(series >= 0, series * 2, np.where(novel >= 0, novel * 2 + 1, -1))
        position = full(-1, np.int64)
        position[ids] = frame["position"].fill_null(-1).to_numpy()
        category = full(0, np.int32)
        category[ids] = frame["category"].replace_strict(codes, return_dtype=pl.Int32).to_numpy()
        duration = full(0, np.int64)
        duration[ids] = frame["duration_ms"].to_numpy()
        created = full(0, np.int64)
        created[ids] = frame["created_at_ms"].to_numpy()
        aigc = full(0, np.int8)
        aigc[ids] = frame["aigc_status"].replace_strict(AIGC_CODES, default=0).to_numpy()
        title = full("", object)
        title[ids] = frame["title"].to_numpy()
        text = full("", object)
        text[ids] = (
            frame.select(
                pl.concat_str(
                    [pl.col("title"), pl.col("category"), pl.col("caption").str.slice(0, 200)],
                    separator=" ",
                )
            )
            .to_series()
            .to_numpy()
        )
        next_item = _next_items(ids, container[ids], position[ids], size)
        creator_ptr, creator_items = _creator_index(ids, creator[ids], created[ids], valid[ids])
        return cls(
            size=size,
            valid=valid,
            external_id=external_id,
            kind=kind,
            creator=creator,
            container=container,
            position=position,
            next_item=next_item,
            category=category,
            duration_ms=duration,
            created_at_ms=created,
            aigc=aigc,
            title=title,
            text=text,
            categories=vocab,
            creator_ptr=creator_ptr,
            creator_items=creator_items,
        )

    def items_of_creator(self, creator_id: int) -> np.ndarray:
        """Published items of ``creator_id``, newest first."""
        if creator_id < 0 or creator_id + 1 >= len(self.creator_ptr):
            return np.empty(0, dtype=np.int64)
        return self.creator_items[self.creator_ptr[creator_id] : self.creator_ptr[creator_id + 1]]

    def lookup(self) -> dict[str, int]:
        """External id -> internal id of every known item."""
        present = np.flatnonzero(self.external_id != "")
        return dict(zip(self.external_id[present].tolist(), present.tolist(), strict=True))


def _next_items(
    ids: np.ndarray, container: np.ndarray, position: np.ndarray, size: int
) -> np.ndarray:
    """For each item, the id of the next item (position + 1) in its series/novel, else -1."""
    next_item = np.full(size, -1, dtype=np.int64)
    inside = container >= 0
    if not inside.any():
        return next_item
    c, p, i = container[inside], position[inside], ids[inside]
    order = np.lexsort((p, c))
    c, p, i = c[order], p[order], i[order]
    follows = (c[1:] == c[:-1]) & (p[1:] == p[:-1] + 1)
    next_item[i[:-1][follows]] = i[1:][follows]
    return next_item


def _creator_index(
    ids: np.ndarray, creator: np.ndarray, created: np.ndarray, valid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """CSR index creator -> published item ids, newest first."""
    keep = (creator >= 0) & valid
    ids, creator, created = ids[keep], creator[keep], created[keep]
    n_creators = int(creator.max()) + 1 if len(creator) else 0
    order = np.lexsort((-created, creator))
    counts = np.bincount(creator, minlength=n_creators)
    ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return ptr, ids[order].astype(np.int64)
