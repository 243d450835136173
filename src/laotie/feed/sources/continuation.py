"""``continue``: the next episode / chapter of each series or novel the user is part-way through."""

from __future__ import annotations

from typing import Self

import numpy as np

from laotie.core.clock import MS_PER_DAY
from laotie.feed.sources.base import Source, TrainingSet, top_n


class ContinueSource(Source):
    """Next items of in-progress series/novels, the most recently left first."""

    name = "continue"
    learned = ()

    def __init__(self, *, window_ms: int = 30 * MS_PER_DAY) -> None:
        self.window_ms = window_ms

    def fit(self, training: TrainingSet) -> Self:
        """Nothing to learn: progress is kept in the user state."""
        return self

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Next episodes/chapters; score = -days since the user left the container."""
        if self.state is None or self.catalog is None:
            return top_n(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), n)
        ids, left_ms = self.state.next_items(self.catalog, user_id)
        now = self.clock.now_ms()
        keep = left_ms >= now - self.window_ms
        scores = (-(now - left_ms[keep]) / MS_PER_DAY).astype(np.float32)
        return top_n(ids[keep], scores, n)
