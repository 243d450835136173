"""``follow``: new items from the creators the user follows."""

from __future__ import annotations

from typing import Self

import numpy as np

from laotie.core.clock import MS_PER_DAY
from laotie.feed.sources.base import Source, TrainingSet, top_n


class FollowSource(Source):
    """The newest items of followed creators within a window; score = recency in days."""

    name = "follow"
    learned = ()

    def __init__(
        self, *, window_ms: int = 30 * MS_PER_DAY, per_creator: int = 10, max_creators: int = 200
    ) -> None:
        self.window_ms = window_ms
        self.per_creator = per_creator
        self.max_creators = max_creators

    def fit(self, training: TrainingSet) -> Self:
        """Nothing to learn: follows and the catalog are read at request time."""
        return self

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Newest items of the user's followed creators."""
        catalog, state = self.catalog, self.state
        creators = state.followed(user_id)[: self.max_creators] if state is not None else []
        if catalog is None or not creators:
            return top_n(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32), n)
        ids = np.concatenate(
            [catalog.items_of_creator(c)[: self.per_creator] for c in creators]
        ).astype(np.int64)
        now = self.clock.now_ms()
        created = catalog.created_at_ms[ids]
        keep = created >= now - self.window_ms
        ids, created = ids[keep], created[keep]
        scores = (-(now - created) / MS_PER_DAY).astype(np.float32)
        return top_n(ids, scores, n)
