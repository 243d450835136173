"""The simulator's only contact with other areas: the catalog door, the feed, ads and trust.

Each adapter uses the other area's public face (``laotie.feed``, ``laotie.ads``,
``laotie.trust``) through the services that ``laotie.wiring.build_services`` built; when an
area is not wired into the services, the adapter says so and the run goes on without it.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from laotie.core.errors import InvalidInput
from laotie.core.kinds import ItemKind
from laotie.sim.ads_adapter import seed_campaigns
from laotie.sim.config import SimConfig
from laotie.sim.feed_adapter import FeedPolicy
from laotie.sim.policies import Policy, SimView
from laotie.sim.world import World
from laotie.wiring import Services

log = logging.getLogger(__name__)


def publish_day(services: Services, world: World, day: int, view: SimView, *, clock_ms: int) -> int:
    """Add the creators and users (day 0), series, novels and items published on ``day``
    through the catalog door; items uploaded during the run pass the trust screen."""
    door = services.catalog
    items = world.item_rows(day)
    if day == 0:
        door.add_creators(world.creators_rows(), created_at_ms=clock_ms)
        users = door.add_users(view.population.user_ids, created_at_ms=clock_ms)
        view.user_internal[:] = [users[u] for u in view.population.user_ids]
    containers = world.container_rows(day)
    for kind in (ItemKind.EPISODE, ItemKind.CHAPTER):
        rows = [c for c, meta in zip(containers, _container_kinds(world, day), strict=True)
                if meta is kind]  # fmt: skip
        if rows:
            door.add_containers(kind, rows, created_at_ms=clock_ms)
    # uploads during the run pass the trust screen (labels, spam, near-duplicates) as they
    # would on a live platform; the back catalog is taken as screened before the run
    ids = door.add_items(items, prescreened=day == 0)
    for row, internal in zip(items, ids, strict=True):
        index = view.index_of[row.id]
        view.internal_ids[index] = internal
        view.published[index] = True
    return len(items)


def _container_kinds(world: World, day: int) -> list[ItemKind]:
    return [c.kind for c in world.containers if c.publish_day == day]


def feed_policy(view: SimView, services: Services, config: SimConfig) -> Policy:
    """A policy that asks the real feed service."""
    feed = getattr(services, "feed", None)
    if feed is None:
        raise InvalidInput(
            "run.policy 'feed' needs the feed service, which is not wired into the services; "
            "use run.policy = 'popular', 'random' or 'oracle'",
            field="run.policy",
        )

    return FeedPolicy(view, services, config)


def seed_ads(services: Services, world: World, config: SimConfig, *, now_ms: int) -> int:
    """Create advertisers, campaigns and creatives through the ads service; how many campaigns."""
    ads = getattr(services, "ads", None)
    if ads is None:
        log.info("sim: no ads service wired; the run has no ads")
        return 0

    rng = np.random.default_rng([config.run.seed, 4])
    return seed_campaigns(ads, world, config, now_ms=now_ms, rng=rng)


def nightly_services(services: Services, *, ads: bool) -> dict[str, Any]:
    """Overnight work of the other areas (ads model training), as a worker would run it."""
    done: dict[str, Any] = {}
    service = getattr(services, "ads", None)
    if ads and service is not None:
        report = service.models.train()
        done["ads_trained"] = bool(report)
    return done
