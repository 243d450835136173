"""``fresh``: an exploration quota for new items and new creators (cold start)."""

from __future__ import annotations

import hashlib
from typing import Self

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.feed.sources.base import Source, TrainingSet, top_n


class FreshSource(Source):
    """Recent items that have few impressions so far, and items of new creators.

    Each user gets a different, seeded random sample, biased to newer items, so new items
    are explored across the population; the same (user, minute, seed) gives the same sample.
    """

    name = "fresh"
    learned = ("pool_", "fitted_now_ms_")

    def __init__(
        self,
        *,
        window_ms: int = 3 * MS_PER_DAY,
        max_impressions: int = 200,
        new_creator_window_ms: int = 14 * MS_PER_DAY,
        pool_max: int = 20_000,
        random_state: int = 0,
    ) -> None:
        self.window_ms = window_ms
        self.max_impressions = max_impressions
        self.new_creator_window_ms = new_creator_window_ms
        self.pool_max = pool_max
        self.random_state = random_state

    def fit(self, training: TrainingSet) -> Self:
        """Pool the under-exposed new items and the items of recently started creators."""
        catalog, now = training.catalog, training.now_ms
        counts = exposure_counts(training.pairs, catalog.size)
        recent = catalog.valid & (catalog.created_at_ms >= now - self.window_ms)
        first_item = np.full(int(catalog.creator.max(initial=-1)) + 1, np.iinfo(np.int64).max)
        has_creator = catalog.valid & (catalog.creator >= 0)
        np.minimum.at(first_item, catalog.creator[has_creator], catalog.created_at_ms[has_creator])
        new_creator = np.zeros(catalog.size, dtype=bool)
        new_creator[has_creator] = (
            first_item[catalog.creator[has_creator]] >= now - self.new_creator_window_ms
        )
        pool = np.flatnonzero(
            (recent & (counts < self.max_impressions)) | (new_creator & catalog.valid)
        )
        pool = pool[np.argsort(-catalog.created_at_ms[pool], kind="stable")][: self.pool_max]
        self.pool_ = pool.astype(np.int64)
        self.fitted_now_ms_ = np.int64(now)
        self._cache: tuple[int, np.ndarray] | None = None
        return self

    def _pool(self) -> np.ndarray:
        """The fitted pool plus items published after training (catalog refreshes)."""
        catalog = self.catalog
        if catalog is None:
            return self.pool_
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == id(catalog):
            return cached[1]
        newer = np.flatnonzero(catalog.valid & (catalog.created_at_ms > int(self.fitted_now_ms_)))
        pool = np.union1d(self.pool_[self.pool_ < catalog.size], newer)
        pool = pool[catalog.valid[pool]]
        self._cache = (id(catalog), pool)
        return pool

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """A seeded weighted sample of the pool, newer items likelier (score = sampled key).

        Weighted sampling without replacement (Efraimidis-Spirakis): with E ~ Exp(1) per item,
        the ``n`` smallest ``E / w`` are the sample, ``w = 1 / (1 + age in days)``."""
        pool = self._pool()
        if not len(pool):
            return top_n(pool, np.empty(0, dtype=np.float32), n)
        now = self.clock.now_ms()
        minute = now // 60_000
        digest = hashlib.blake2b(f"{self.random_state}:{user_id}:{minute}".encode(), digest_size=8)
        rng = np.random.default_rng(int.from_bytes(digest.digest(), "little"))
        keys = rng.standard_exponential(len(pool), dtype=np.float32)
        keys *= self._inverse_weights(pool, minute)
        return top_n(pool, -keys, n)

    def _inverse_weights(self, pool: np.ndarray, minute: int) -> np.ndarray:
        """``1 + age in days`` of each pool item, computed once a minute."""
        cached = getattr(self, "_ages", None)
        if cached is not None and cached[0] is pool and cached[1] == minute:
            return cached[2]
        created = (
            self.catalog.created_at_ms[pool] if self.catalog is not None else np.zeros(len(pool))
        )
        inverse = (1.0 + np.maximum(minute * 60_000 - created, 0) / MS_PER_DAY).astype(np.float32)
        self._ages = (pool, minute, inverse)
        return inverse


def exposure_counts(pairs: pl.DataFrame, size: int) -> np.ndarray:
    """Per item: how many users interacted with (or were shown) it."""
    grouped = pairs.group_by("item_id").len()
    counts = np.zeros(size, dtype=np.int64)
    counts[grouped["item_id"].to_numpy()] = grouped["len"].to_numpy()
    return counts
