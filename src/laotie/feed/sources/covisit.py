"""``covisit``: item-to-item co-visitation from recent sessions, time-decayed, real-time.

Two positives of one user within ``window`` steps and ``session_gap_ms`` co-visit; each pair
adds ``2^(-age/half_life) / steps`` both ways. Each item keeps its ``top_k`` neighbours. At
request time the user's recent positives (kept current from the event log) seed the lookup,
and pairs formed by events ingested since training are added from a live overlay.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Protocol, Self

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE
from laotie.core.errors import Unavailable
from laotie.feed.sources.base import Source, TrainingSet, top_n

log = logging.getLogger(__name__)


class CovisitOverlay(Protocol):
    """Where live pairs are counted when several processes share them (``feed.live``)."""

    def add(self, pairs: Sequence[tuple[int, int, float]]) -> None: ...

    def rows(self, item_ids: Sequence[int]) -> list[dict[int, float]]: ...


class CovisitSource(Source):
    """Neighbours of the user's recent positives by co-visitation."""

    name = "covisit"
    learned = ("ptr_", "neighbours_", "weights_", "keys_", "key_weights_")

    def __init__(
        self,
        *,
        window: int = 3,
        session_gap_ms: int = 30 * MS_PER_MINUTE,
        half_life_ms: int = 7 * MS_PER_DAY,
        top_k: int = 50,
        seeds: int = 10,
        seed_decay: float = 0.85,
    ) -> None:
        self.window = window
        self.session_gap_ms = session_gap_ms
        self.half_life_ms = half_life_ms
        self.top_k = top_k
        self.seeds = seeds
        self.seed_decay = seed_decay

    def fit(self, training: TrainingSet) -> Self:
        """Count co-visits over the training window and keep each item's top neighbours."""
        size = training.catalog.size
        positives = training.pairs.filter(pl.col("positive")).sort("user_id", "first_ts_ms")
        users = positives["user_id"].to_numpy()
        items = positives["item_id"].to_numpy()
        ts = positives["first_ts_ms"].to_numpy()
        parts_a, parts_b, parts_w = [], [], []
        for step in range(1, self.window + 1):
            same = (users[step:] == users[:-step]) & (
                ts[step:] - ts[:-step] <= self.session_gap_ms * step
            )
            a, b = items[:-step][same], items[step:][same]
            age = np.maximum(training.now_ms - ts[step:][same], 0)
            w = np.exp2(-age / self.half_life_ms) / step
            parts_a += [a, b]
            parts_b += [b, a]
            parts_w += [w, w]
        pairs = pl.DataFrame(
            {
                "a": np.concatenate(parts_a) if parts_a else np.empty(0, np.int64),
                "b": np.concatenate(parts_b) if parts_b else np.empty(0, np.int64),
                "w": np.concatenate(parts_w) if parts_w else np.empty(0, np.float64),
            }
        )
        top = (
            pairs.group_by("a", "b")
            .agg(pl.col("w").sum())
            .sort(["a", "w", "b"], descending=[False, True, False])
            .group_by("a", maintain_order=True)
            .head(self.top_k)
        )
        a = top["a"].to_numpy().astype(np.int64)
        self.ptr_ = np.concatenate([[0], np.cumsum(np.bincount(a, minlength=size))]).astype(
            np.int64
        )
        self.neighbours_ = top["b"].to_numpy().astype(np.int64)
        self.weights_ = top["w"].to_numpy().astype(np.float32)
        keys = a * size + self.neighbours_
        order = np.argsort(keys)
        self.keys_ = keys[order]
        self.key_weights_ = self.weights_[order]
        self.loaded()
        return self

    def loaded(self) -> None:
        """Start an empty live overlay (in process until ``share`` names a shared one)."""
        self._overlay: dict[int, dict[int, float]] = defaultdict(dict)
        self._lock = threading.Lock()
        self._shared: CovisitOverlay | None = None

    def share(self, overlay: CovisitOverlay) -> None:
        """Count and read live pairs in ``overlay``, shared with other serving processes."""
        self._shared = overlay

    @property
    def size(self) -> int:
        """Number of item ids the fitted arrays cover."""
        return len(self.ptr_) - 1

    def pairs(self, item_id: int, previous: list[int]) -> list[tuple[int, int, float]]:
        """The live pairs (x, y, weight) a new positive ``item_id`` forms with the user's
        ``previous`` positives."""
        out = []
        for step, other in enumerate(reversed(previous[-self.window :]), start=1):
            if other != item_id:
                out += [(other, item_id, 1.0 / step), (item_id, other, 1.0 / step)]
        return out

    def add_pairs(self, pairs: Sequence[tuple[int, int, float]]) -> None:
        """Count live pairs (x, y, weight) in the overlay."""
        if self._shared is not None:
            self._shared.add(pairs)
            return
        with self._lock:
            for x, y, weight in pairs:
                row = self._overlay[x]
                row[y] = row.get(y, 0.0) + weight

    def observe(self, events: Sequence[Any], weights: Sequence[float]) -> None:
        """Live pairs from each positive event (weight >= 1) and the user's recent positives
        (read before the user state takes the events in); a shared store that is down loses
        them, logged."""
        recent = self.state.recent if self.state is not None else {}
        pairs = [
            pair
            for event, weight in zip(events, weights, strict=True)
            if weight >= 1.0
            for pair in self.pairs(event.item_id, recent.get(event.user_id, []))
        ]
        if pairs:
            try:
                self.add_pairs(pairs)
            except Unavailable as exc:
                log.warning("live co-visitation pairs lost: %s", exc)

    def _live_rows(self, item_ids: Sequence[int]) -> list[dict[int, float]]:
        if self._shared is not None:
            return self._shared.rows(item_ids)
        return [self._overlay.get(i) or {} for i in item_ids]

    def neighbours(
        self, item_id: int, *, live: dict[int, float] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Fitted plus live neighbours of ``item_id`` with their weights (``live``: its live
        row when the caller read it already)."""
        if 0 <= item_id < self.size:
            start, end = self.ptr_[item_id], self.ptr_[item_id + 1]
            ids, weights = self.neighbours_[start:end], self.weights_[start:end]
        else:
            ids, weights = np.empty(0, np.int64), np.empty(0, np.float32)
        if live is None:
            (live,) = self._live_rows([item_id])
        if live:
            ids = np.concatenate([ids, np.fromiter(live.keys(), np.int64, len(live))])
            weights = np.concatenate([weights, np.fromiter(live.values(), np.float32, len(live))])
        return ids, weights

    def seed_items(self, user_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The user's most recent positives and their seed weights (newest = 1)."""
        recent: np.ndarray | list[int] = (
            self.state.recent_positives(user_id)[-self.seeds :] if self.state is not None else []
        )
        seeds = np.asarray(recent, dtype=np.int64)[::-1]
        return seeds, self.seed_decay ** np.arange(len(seeds), dtype=np.float32)

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Neighbours of the seeds, weighted by seed recency, seeds themselves excluded."""
        seeds, seed_weights = self.seed_items(user_id)
        rows = self._live_rows([int(s) for s in seeds])  # one read for every seed
        parts = [self.neighbours(int(s), live=row) for s, row in zip(seeds, rows, strict=True)]
        if not parts:
            return top_n(np.empty(0, np.int64), np.empty(0, np.float32), n)
        ids = np.concatenate([p[0] for p in parts])
        weights = np.concatenate([p[1] * w for p, w in zip(parts, seed_weights, strict=True)])
        unique, inverse = np.unique(ids, return_inverse=True)
        scores = np.bincount(inverse, weights=weights).astype(np.float32)
        keep = ~np.isin(unique, seeds)
        return top_n(unique[keep], scores[keep], n)

    def pair_scores(
        self, seeds: np.ndarray, seed_weights: np.ndarray, items: np.ndarray
    ) -> np.ndarray:
        """Sum over seeds of weight * co-visit(seed, item) for each of ``items`` (fitted part)."""
        if not len(seeds) or not len(self.keys_):
            return np.zeros(len(items), dtype=np.float32)
        inside = items < self.size
        keys = seeds[:, None] * self.size + np.where(inside, items, 0)[None, :]
        pos = np.minimum(np.searchsorted(self.keys_, keys), len(self.keys_) - 1)
        hit = (self.keys_[pos] == keys) & inside[None, :]
        values = np.where(hit, self.key_weights_[pos], 0.0) * seed_weights[:, None]
        return values.sum(axis=0).astype(np.float32)
