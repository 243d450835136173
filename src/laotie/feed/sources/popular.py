"""``popular``: time-decayed popularity, overall and within the user's favourite categories."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Self

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.feed.sources.base import Source, TrainingSet, top_n


def decayed_popularity(training: TrainingSet, *, half_life_ms: int) -> np.ndarray:
    """Per item: sum of positive pair weights, halved every ``half_life_ms`` of age."""
    return pair_popularity(
        training.pairs,
        now_ms=training.now_ms,
        size=training.catalog.size,
        half_life_ms=half_life_ms,
    )


def pair_popularity(
    pairs: pl.DataFrame, *, now_ms: int, size: int, half_life_ms: int
) -> np.ndarray:
    """``decayed_popularity`` of interaction rows ``pairs`` over ``size`` item ids."""
    pairs = pairs.filter((pl.col("weight") > 0) & (pl.col("item_id") < size))
    age = np.maximum(now_ms - pairs["last_ts_ms"].to_numpy(), 0)
    weights = np.minimum(pairs["weight"].to_numpy(), 10.0) * np.exp2(-age / half_life_ms)
    return np.bincount(pairs["item_id"].to_numpy(), weights=weights, minlength=size).astype(
        np.float32
    )


#: half-lives ``choose_half_life`` tries: the configured one times these
HALF_LIFE_STEPS: tuple[int, ...] = (1, 4, 16, 64, 256)


def choose_half_life(
    early: pl.DataFrame, late: pl.DataFrame, *, split_ms: int, size: int, base_ms: int, depth: int
) -> int:
    """The half-life (``base_ms`` times one of ``HALF_LIFE_STEPS``) whose popularity of the
    ``early`` pairs puts the most of the ``late`` positives in its top ``depth``: a feed log
    of a few days wants days, ratings collected over months want months. Ties keep the
    shorter one."""
    targets = late.filter(pl.col("positive") & (pl.col("item_id") < size))["item_id"].to_numpy()
    if not len(targets) or not early.height:
        return base_ms
    wanted = np.bincount(targets, minlength=size)
    best, best_hits = base_ms, -1
    for step in HALF_LIFE_STEPS:
        popularity = pair_popularity(early, now_ms=split_ms, size=size, half_life_ms=base_ms * step)
        top = np.argsort(-popularity, kind="stable")[:depth]
        hits = int(wanted[top[popularity[top] > 0]].sum())
        if hits > best_hits:
            best, best_hits = base_ms * step, hits
    return best


class PopularSource(Source):
    """Most popular items (decayed), interleaved with the top of the user's top categories."""

    name = "popular"
    learned = ("popularity_", "top_", "category_ptr_", "category_items_")

    def __init__(
        self,
        *,
        half_life_ms: int = 3 * MS_PER_DAY,
        top: int = 2000,
        per_category: int = 300,
        categories_per_user: int = 3,
    ) -> None:
        self.half_life_ms = half_life_ms
        self.top = top
        self.per_category = per_category
        self.categories_per_user = categories_per_user

    def fit(self, training: TrainingSet) -> Self:
        """Score items by decayed popularity and keep the top overall and per category."""
        catalog = training.catalog
        popularity = decayed_popularity(training, half_life_ms=self.half_life_ms)
        popularity[~catalog.valid] = 0.0
        self.popularity_ = popularity
        ranked = np.argsort(-popularity, kind="stable")
        ranked = ranked[popularity[ranked] > 0]
        self.top_ = ranked[: self.top].astype(np.int64)
        categories = catalog.category[ranked]
        order = np.argsort(categories, kind="stable")
        by_category, ranked_items = categories[order], ranked[order]
        starts = np.searchsorted(by_category, np.arange(len(catalog.categories) + 1))
        keep = np.concatenate(
            [np.arange(s, min(e, s + self.per_category)) for s, e in itertools.pairwise(starts)]
            or [np.empty(0, dtype=np.int64)]
        ).astype(np.int64)
        counts = np.minimum(np.diff(starts), self.per_category)
        self.category_ptr_ = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.category_items_ = ranked_items[keep].astype(np.int64)
        return self

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Overall top interleaved with the user's favourite categories; score = 1/(1+rank)."""
        lists = [self.top_[:n]]
        recent = self.state.recent_positives(user_id) if self.state is not None else ()
        if len(recent) and self.catalog is not None:
            favourite = Counter(self.catalog.category[recent].tolist()).most_common(
                self.categories_per_user
            )
            for category, _ in favourite:
                if category + 1 < len(self.category_ptr_):
                    start = self.category_ptr_[category]
                    lists.append(
                        self.category_items_[
                            start : min(start + n, self.category_ptr_[category + 1])
                        ]
                    )
        return merge_best(lists, n)


def merge_best(lists: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Union of ranked lists scored 1/(1+rank), each id keeping its best score."""
    ids = np.concatenate(lists)
    scores = np.concatenate([1.0 / (1.0 + np.arange(len(p), dtype=np.float32)) for p in lists])
    unique, inverse = np.unique(ids, return_inverse=True)
    best = np.full(len(unique), -np.inf, dtype=np.float32)
    np.maximum.at(best, inverse, scores)
    return top_n(unique, best, n)
