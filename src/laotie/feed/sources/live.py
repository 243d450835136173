"""``live``: rooms live now, ranked by audience, gifting and the user's interests.

Nothing is learned: which rooms are live, and their viewers and gifts, change by the second,
so the source asks ``LiveRooms`` (the commerce area, wired by ``laotie.wiring``) on every
request. A user's interests are the categories of their recent positives in the user state.
Its quota bounds the candidates it adds; ``rerank.kind_caps.live`` bounds the page's share.
"""

from __future__ import annotations

from typing import Self

import numpy as np

from laotie.core.contracts import LiveRooms, live_score
from laotie.feed.sources.base import Source, TrainingSet, top_n


class LiveSource(Source):
    """Rooms live at request time, best first by ``core.contracts.live_score``."""

    name = "live"
    learned = ()

    def __init__(self) -> None:
        self.signals: LiveRooms | None = None

    def fit(self, training: TrainingSet) -> Self:
        """Nothing to learn (the rooms live now are read at request time); returns self."""
        return self

    def attach(self, signals: LiveRooms | None) -> Self:
        """Read live rooms from ``signals`` (None: the source recommends nothing)."""
        self.signals = signals
        return self

    def interests(self, user_id: int) -> set[int]:
        """Category codes of the user's recent positives."""
        if self.catalog is None or self.state is None:
            return set()
        recent = np.asarray(self.state.recent.get(user_id, ()), dtype=np.int64)
        recent = recent[(recent >= 0) & (recent < self.catalog.size)]
        names = self.catalog.categories
        return {
            c for c in self.catalog.category[recent].tolist() if 0 <= c < len(names) and names[c]
        }

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The live rooms in the catalog, scored by viewers, gifting and interests."""
        catalog = self.catalog
        rooms = list(self.signals.live_signals()) if self.signals is not None else []
        if catalog is not None:
            rooms = [r for r in rooms if 0 <= r.item_id < catalog.size and catalog.valid[r.item_id]]
        if not rooms or catalog is None:
            return top_n(np.empty(0, np.int64), np.empty(0, np.float32), n)
        wanted = self.interests(user_id)
        ids = np.array([r.item_id for r in rooms], dtype=np.int64)
        scores = np.array(
            [
                live_score(
                    viewers=r.viewers,
                    gifts_fen=r.gifts_fen,
                    interested=int(catalog.category[r.item_id]) in wanted,
                )
                for r in rooms
            ],
            dtype=np.float32,
        )
        # ties by item id, so that batch and single requests agree
        order = np.lexsort((ids, -scores))
        return top_n(ids[order], scores[order], n)
