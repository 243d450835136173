"""Similar items and similar users from a trained version.

Items: cosine of the ALS item vectors (what co-occurs in users' histories); an item without a
vector (new, or not played in the training window) falls back to the ``content`` source's
TF-IDF similarity of titles and captions, then to the most popular items of its category.
Users: cosine of the ALS user vectors.
"""

from __future__ import annotations

import numpy as np

from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
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
