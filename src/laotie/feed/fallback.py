"""The feed served before any model is trained: popular and fresh items (plus follow, continue
and live rooms where configured) fitted on recent events, with no ranker."""

from __future__ import annotations

from laotie.core.feedconfig import FeedConfig
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
from laotie.feed.signals import column_max, interactions
from laotie.feed.sources import FreshSource, PopularSource, TrainingSet
from laotie.feed.state import UserState
from laotie.feed.store import FeedStore, window_data
from laotie.feed.training import make_sources


def fallback_bundle(
    store: FeedStore, config: FeedConfig, *, now_ms: int
) -> tuple[Bundle, Catalog, tuple[int, int]]:
    """The fallback bundle, the catalog it was fitted on and the item watermark read with it."""
    start = now_ms - 3 * config.popular.half_life_ms
    data = window_data(store, start_ms=start, end_ms=now_ms + 1)
    catalog = Catalog.from_frame(data.items)
    watermark = store.item_watermark()
    pairs = interactions(data.events)
    pairs = pairs.filter(pairs["item_id"] < catalog.size)
    n_users = column_max(pairs["user_id"]) + 1
    state = UserState().load(catalog, pairs, data.follows)
    training = TrainingSet(
        catalog=catalog,
        events=data.events,
        pairs=pairs,
        state=state,
        now_ms=now_ms,
        n_users=n_users,
    )
    sources = {
        name: source
        for name, source in make_sources(config).items()
        if name in ("continue", "follow", "popular", "fresh", "live")
    }
    for name, source in sources.items():
        sources[name] = source.fit(training)
    if "popular" not in sources:
        sources["popular"] = PopularSource().fit(training)
    if "fresh" not in sources:
        sources["fresh"] = FreshSource().fit(training)
    bundle = Bundle(
        version="fallback",
        sources=sources,
        stats=None,
        ranker=None,
        state=state,
        categories=list(catalog.categories),
        manifest={"window": {"end_ms": now_ms}},
    )
    return bundle, catalog, watermark
