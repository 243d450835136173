"""Satiation: simulated users tire of a creator and of a category, and recover with time.

Each user carries a satiation level per creator and per category. Every impression a user
sees adds one to its creator's and its category's level; between impressions a level decays
by half every ``recovery half-life``. The play logit falls by ``weight x level``, where the
level counts the impressions before this one (those on earlier pages, decayed to now, and the
ones above it on the same page). This is the linear satiation-and-rebound dynamics of Leqi,
Kılınç-Karzan, Lipton and Montgomery, "Rebounding Bandits for Modeling Satiation Effects"
(NeurIPS 2021): reward declines with each exposure and rebounds toward its base with disuse;
Kapoor, Subbian, Srivastava and Schrater, "Just in Time Recommendations: Modeling the
Dynamics of Boredom in Activity Streams" (WSDM 2015) observe the same on real streams
(users move on when bored and come back once interest is restored), and Ma, Liu and Shen,
"User Fatigue in Online News Recommendation" (WWW 2016) measure click-through falling with
repeated exposure in Bing's logs.
"""

from __future__ import annotations

import numpy as np

from laotie.core.clock import MS_PER_HOUR
from laotie.sim.config import BehaviourConfig
from laotie.sim.world import World


def _within_page(keys: np.ndarray) -> np.ndarray:
    """Per position: how many earlier positions hold the same key."""
    out = np.zeros(len(keys))
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_keys)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    out[order] = np.arange(len(keys)) - run_start
    return out


class Satiation:
    """Per-user satiation levels per creator and per category, decaying between impressions."""

    def __init__(self, config: BehaviourConfig, world: World, n_users: int) -> None:
        self.config = config
        self.world = world
        n_cats = int(world.category.max()) + 1 if len(world.category) else 0
        self._category = np.zeros((n_users, n_cats))
        self._category_ms = np.zeros(n_users, np.int64)
        self._creator: list[dict[int, tuple[float, int]]] = [{} for _ in range(n_users)]

    @property
    def enabled(self) -> bool:
        """Whether either satiation weight is set."""
        return bool(self.config.satiation_creator or self.config.satiation_category)

    def _decay(self, elapsed_ms: np.ndarray | int, half_life_h: float) -> np.ndarray:
        hours = np.maximum(np.asarray(elapsed_ms, np.float64), 0.0) / MS_PER_HOUR
        return np.exp2(-hours / max(half_life_h, 1e-9))

    def levels(self, user: int, items: np.ndarray, now_ms: int) -> tuple[np.ndarray, np.ndarray]:
        """(creator level, category level) of each item of a page shown in this order."""
        creators = self.world.creator[items]
        categories = self.world.category[items]
        decay = self._decay(now_ms - self._category_ms[user], self.config.satiation_category_hours)
        category = self._category[user, categories] * decay + _within_page(categories)
        known = self._creator[user]
        before = np.array(
            [
                known[c][0]
                * float(self._decay(now_ms - known[c][1], self.config.satiation_creator_hours))
                if c in known
                else 0.0
                for c in creators.tolist()
            ]
        )
        return before + _within_page(creators), category

    def penalty(self, user: int, items: np.ndarray, now_ms: int) -> np.ndarray:
        """The play-logit penalty of each item of a page shown in this order."""
        if not self.enabled or not len(items):
            return np.zeros(len(items))
        creator, category = self.levels(user, items, now_ms)
        return self.config.satiation_creator * creator + self.config.satiation_category * category

    def saw(self, user: int, items: np.ndarray, now_ms: int) -> None:
        """Add the impressions ``user`` saw at ``now_ms`` to their levels."""
        if not self.enabled or not len(items):
            return
        decay = self._decay(now_ms - self._category_ms[user], self.config.satiation_category_hours)
        self._category[user] *= decay
        np.add.at(self._category[user], self.world.category[items], 1.0)
        self._category_ms[user] = now_ms
        known = self._creator[user]
        creators, counts = np.unique(self.world.creator[items], return_counts=True)
        half_life = self.config.satiation_creator_hours
        for creator, count in zip(creators.tolist(), counts.tolist(), strict=True):
            level, at = known.get(creator, (0.0, now_ms))
            known[creator] = (level * float(self._decay(now_ms - at, half_life)) + count, now_ms)
