"""Similar items and similar users from a trained version.

Items: cosine of the ALS item vectors (what co-occurs in users' histories); an item without a
vector (new, or not played in the training window) falls back to the ``content`` source's
TF-IDF similarity of titles and captions, then to the most popular items of its category.
Users: cosine of the ALS user vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from laotie.core.errors import NotFound
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import KINDS, Catalog
from laotie.feed.schemas import SimilarItem, SimilarItems, SimilarUser, SimilarUsers
from laotie.feed.sources import AlsSource, ContentSource, PopularSource
from laotie.feed.sources.base import top_n


def _cosine_top(
    vectors: np.ndarray, row: int, n: int, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(vectors, axis=1)
    query = vectors[row] / max(float(norms[row]), 1e-12)
    scores = (vectors @ query) / np.maximum(norms, 1e-12)
    keep = np.flatnonzero(allowed & (norms > 0))
    keep = keep[keep != row]
    return top_n(keep, scores[keep].astype(np.float32), n)


def similar_items(
    bundle: Bundle, catalog: Catalog, item_id: int, n: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """The ``n`` items most like ``item_id`` (ids, scores, padded with -1) and the basis used:
    ``als``, ``content`` or ``category``."""
    als = bundle.sources.get("als")
    if (
        isinstance(als, AlsSource)
        and item_id < len(als.item_factors_)
        and np.any(als.item_factors_[item_id] != 0)
    ):
        size = len(als.item_factors_)
        return (*_cosine_top(als.item_factors_, item_id, n, catalog.valid[:size]), "als")
    content = bundle.sources.get("content")
    if isinstance(content, ContentSource):
        ids, scores = content.similar(item_id, n)
        if (ids >= 0).any():
            return ids, scores, "content"
    popular = bundle.sources.get("popular")
    ranked = popular.top_ if isinstance(popular, PopularSource) else np.empty(0, np.int64)
    same = ranked[(catalog.category[ranked] == catalog.category[item_id]) & (ranked != item_id)]
    return (*top_n(same, 1.0 / (1.0 + np.arange(len(same), dtype=np.float32)), n), "category")


def similar_users(bundle: Bundle, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The ``n`` users whose ALS vectors are closest to ``user_id``'s (padded with -1); basis
    ``none`` when the user has no vector."""
    als = bundle.sources.get("als")
    if not isinstance(als, AlsSource) or not 0 <= user_id < len(als.user_factors_):
        return *top_n(np.empty(0, np.int64), np.empty(0, np.float32), n), "none"
    if not np.any(als.user_factors_[user_id] != 0):
        return *top_n(np.empty(0, np.int64), np.empty(0, np.float32), n), "none"
    allowed = np.ones(len(als.user_factors_), bool)
    return (*_cosine_top(als.user_factors_, user_id, n, allowed), "als")


def similar_items_page(
    bundle: Bundle, catalog: Catalog, item_id: str, n: int, *, model_version: str | None
) -> SimilarItems:
    """The ``n`` items most like ``item_id`` (external id); ``NotFound`` for an unknown item."""
    found = np.flatnonzero(catalog.external_id == item_id)
    if not len(found) or not catalog.valid[found[0]]:
        raise NotFound(f"no item {item_id!r} in the feed's catalog", field="item_id")
    ids, scores, basis = similar_items(bundle, catalog, int(found[0]), n)
    return SimilarItems(
        item_id=item_id,
        basis=basis,
        model_version=model_version,
        items=[
            SimilarItem(
                id=str(catalog.external_id[i]),
                kind=KINDS[int(catalog.kind[i])],
                title=str(catalog.title[i]),
                score=float(s),
            )
            for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
            if i >= 0
        ],
    )


def similar_users_page(
    bundle: Bundle,
    user_id: str,
    internal: int,
    n: int,
    *,
    model_version: str | None,
    user_map: Callable[[], Mapping[str, int]],
) -> SimilarUsers:
    """The ``n`` users closest to ``user_id`` (internal id ``internal``); ``user_map`` (external
    to internal ids) is read only when there is an answer to name."""
    ids, scores, basis = similar_users(bundle, internal, n)
    external = {v: k for k, v in user_map().items()} if basis != "none" else {}
    return SimilarUsers(
        user_id=user_id,
        basis=basis,
        model_version=model_version,
        users=[
            SimilarUser(id=external[i], score=float(s))
            for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
            if i in external
        ],
    )
