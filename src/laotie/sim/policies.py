"""Who chooses what a simulated user sees: the real feed service, or a reference policy.

``FeedPolicy`` asks the feed service (``laotie.feed``) through its public face, exactly as the
HTTP API does. The reference policies — ``popular`` (most valid plays in the lake over the last
days), ``random`` and ``oracle`` (highest true utility) — give the floors and the ceiling a
feed is read against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.core.contracts import AdRequest
from laotie.core.kinds import AigcStatus
from laotie.sim.behaviour import true_utility
from laotie.sim.config import BehaviourConfig
from laotie.sim.users import Population
from laotie.sim.world import World


@dataclass(frozen=True)
class ServedAd:
    """An ad placed in a page: its position among the page's slots and charge key."""

    position: int
    impression_id: str
    campaign_id: str
    aigc: bool


@dataclass
class Served:
    """One feed response: world item indices in page order, the request id, ads."""

    items: np.ndarray
    request_id: str
    ads: list[ServedAd] = field(default_factory=list)
    impressions_logged: bool = False


class SimView:
    """What the simulator knows that a reference policy may use: world, users, what is live."""

    def __init__(self, world: World, population: Population, behaviour: BehaviourConfig) -> None:
        self.world = world
        self.population = population
        self.behaviour = behaviour
        self.published = np.zeros(world.n_items, dtype=bool)
        self.seen: list[set[int]] = [set() for _ in range(population.n_users)]
        self.internal_ids = np.full(world.n_items, -1, dtype=np.int64)
        self.user_internal = np.full(population.n_users, -1, dtype=np.int64)
        self.index_of: dict[str, int] = {x: i for i, x in enumerate(world.item_ids)}

    def unseen_published(self, user: int) -> np.ndarray:
        """Published items ``user`` has not been shown yet (world indices)."""
        mask = self.published.copy()
        if self.seen[user]:
            mask[list(self.seen[user])] = False
        return np.flatnonzero(mask)

    def utilities(self, user: int, items: np.ndarray) -> np.ndarray:
        """True utility of ``items`` for ``user``."""
        return true_utility(self.behaviour, self.population, self.world, user, items)


class Policy(Protocol):
    """Serves pages to simulated users and learns overnight."""

    name: str

    def serve(self, user: int, *, n: int, page: int, now_ms: int) -> Served:
        """Page ``page`` (0-based within the session) of ``n`` items for ``user``."""
        ...

    def nightly(self, *, now_ms: int) -> dict[str, Any]:
        """Learn from the day that just ended; returns what it did (for the run log)."""
        ...


def fill_ads(
    ads: Any, view: SimView, user: int, *, request_id: str, page_size: int, now_ms: int
) -> list[ServedAd]:
    """Ask the ads service's ``serving`` (the ``AdSlotFiller``) for the page's middle slot."""
    if ads is None:
        return []
    request = AdRequest(
        user_id=int(view.user_internal[user]),
        user_external_id=view.population.user_ids[user],
        request_id=request_id,
        slot_positions=[page_size // 2],
        now_ms=now_ms,
    )
    return [
        ServedAd(
            position=p.position,
            impression_id=p.impression_id,
            campaign_id=p.campaign_id,
            aigc=p.aigc_status != AigcStatus.NONE,
        )
        for p in ads.serving.fill(request)
    ]


class ReferencePolicy:
    """The popular / random / oracle reference policies (no personal model)."""

    def __init__(
        self,
        name: str,
        view: SimView,
        *,
        lake: Any,
        rng: np.random.Generator,
        ads: Any = None,
        seed: int = 0,
    ) -> None:
        self.name = name
        self.view = view
        self.lake = lake
        self.rng = rng
        self.ads = ads
        self.seed = seed
        self.popularity = np.zeros(view.world.n_items)
        self._requests = 0

    def serve(self, user: int, *, n: int, page: int, now_ms: int) -> Served:
        """The top ``n`` unseen items by this policy's score."""
        candidates = self.view.unseen_published(user)
        self._requests += 1
        if self.name == "random":
            chosen = self.rng.choice(candidates, size=min(n, len(candidates)), replace=False)
        else:
            if self.name == "oracle":
                score = self.view.utilities(user, candidates)
            else:
                # ties (no plays yet) broken at random so a cold start is not alphabetical
                score = self.popularity[candidates] + 1e-6 * self.rng.random(len(candidates))
            chosen = candidates[np.argsort(-score, kind="stable")[:n]]
        request_id = f"ref-{self.seed}-{self._requests}"
        ads = fill_ads(self.ads, self.view, user, request_id=request_id, page_size=n, now_ms=now_ms)
        return Served(items=np.asarray(chosen, dtype=np.int64), request_id=request_id, ads=ads)

    def nightly(self, *, now_ms: int) -> dict[str, Any]:
        """Refresh popularity: valid plays per item over the last 3 days, from the lake."""
        if self.name != "popular":
            return {}
        plays = self.lake.read(start_ms=now_ms - 3 * MS_PER_DAY, end_ms=now_ms, types=["play"])
        counts = plays.group_by("item_id").agg(pl.len().alias("plays"))
        internal = self.view.internal_ids
        popularity = np.zeros(self.view.world.n_items)
        lookup = {int(i): w for w, i in enumerate(internal.tolist()) if i >= 0}
        for item_id, count in counts.iter_rows():
            w = lookup.get(int(item_id)) if item_id is not None else None
            if w is not None:
                popularity[w] = count
        self.popularity = popularity
        return {"popular_items": int((popularity > 0).sum())}
