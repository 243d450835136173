"""The simulator's ground truth for a simulated home: what each user really prefers.

A simulated home's logs record only what its feed chose to show, so offline metrics over
them reward predicting that exposure. The simulator knows every user's true utility for
every item (``true_utility``), so ``laotie evaluate home`` can also score recommendations
against it. A run records its config in the home (``config.record_config``); ``GroundTruth``
rebuilds the same world and population from it and maps the home's ids onto them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.sim.behaviour import true_utility
from laotie.sim.config import SimConfig
from laotie.sim.runner import build_world


class GroundTruth:
    """True utilities of a simulated home's items for its users, by the home's internal ids."""

    def __init__(self, config: SimConfig, *, users: pl.DataFrame, items: pl.DataFrame) -> None:
        """``users`` and ``items``: the home's (id, external_id) rows; others have no truth."""
        self.config = config
        self.world, self.population = build_world(config)
        sim_users = {name: i for i, name in enumerate(self.population.user_ids)}
        sim_items = {name: i for i, name in enumerate(self.world.item_ids)}
        self._users = {
            int(uid): sim_users[ext]
            for uid, ext in users.select("id", "external_id").iter_rows()
            if ext in sim_users
        }
        ids = items["id"].to_numpy().astype(np.int64)
        self._items = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, np.int64)
        self._items[ids] = [sim_items.get(ext, -1) for ext in items["external_id"].to_list()]

    def knows(self, user_id: int) -> bool:
        """Whether ``user_id`` is one of the simulated users."""
        return user_id in self._users

    def utility(self, user_id: int, item_ids: np.ndarray) -> np.ndarray:
        """True utility (P(engage) x expected watch share, 0..1) of each item; 0 for items
        the simulator did not make."""
        ids = np.asarray(item_ids, np.int64)
        known = (ids >= 0) & (ids < len(self._items))
        sim = np.full(len(ids), -1, np.int64)
        sim[known] = self._items[ids[known]]
        out = np.zeros(len(ids))
        mask = sim >= 0
        if mask.any():
            out[mask] = true_utility(
                self.config.behaviour, self.population, self.world, self._users[user_id], sim[mask]
            )
        return out
