"""Real-time feed signals shared by serving processes through the LiveState (both kinds)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from tests.feed.live_workers import watch

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import ManualClock
from laotie.core.live import LiveState
from laotie.core.settings import load_settings
from laotie.feed import FeedConfig, FeedData, FeedEntry, FeedService, LiveSignals, MemoryFeedStore
from laotie.feed.bundle import Bundle, save_bundle
from laotie.feed.sources import CovisitSource
from laotie.store.eventlog import StoredEvent
from laotie.store.repos import catalog
from laotie.wiring import build_services


def _event(user: int, item: int, kind: str, ts_ms: int, n: int) -> StoredEvent:
    return StoredEvent(
        f"e{n}", kind, user, str(user), item, None, ts_ms, 20_000, 20_000,
        None, None, None, None, None,
    )  # fmt: skip


def _ids(page) -> list[str]:
    return [e.id for e in page.entries if isinstance(e, FeedEntry)]


def test_an_event_seen_by_one_service_changes_the_next_page_of_another(
    live: LiveState, world: FeedData, trained: Bundle, tmp_path: Path
) -> None:
    save_bundle(trained, tmp_path / "models")
    clock = ManualClock(world.now_ms)
    one, two = (
        FeedService(
            MemoryFeedStore(world),
            config=FeedConfig(),
            models_dir=tmp_path / "models",
            clock=clock,
            signals=LiveSignals(live),  # each its own origin, as in two processes
        )
        for _ in range(2)
    )
    before = _ids(two.feed("1", n=10, log=False))
    catalog_ids = two.served.state.catalog.external_id
    watched = [int(np.flatnonzero(catalog_ids == x)[0]) for x in before[:3]]
    one.feed("2", n=1, log=False)  # serving: its live pairs are formed from here on
    for n, item in enumerate(watched):
        one.on_events([_event(1, item, "watch", clock.now_ms(), n)])
    after = _ids(two.feed("1", n=10, log=False))
    assert not set(before[:3]) & set(after)  # watched on the other service: seen here
    # the pairs the watches formed are counted once, where both services read them
    covisit_one = one.served.state.bundle.sources["covisit"]
    covisit_two = two.served.state.bundle.sources["covisit"]
    assert isinstance(covisit_one, CovisitSource) and isinstance(covisit_two, CovisitSource)
    assert covisit_two._live_rows([watched[2]]) == covisit_one._live_rows([watched[2]])
    assert watched[1] in covisit_two._live_rows([watched[2]])[0]
    # what a service showed is logged too: the other does not show it again
    shown = _ids(one.feed("1", n=5))
    assert not set(shown) & set(_ids(two.feed("1", n=10, log=False)))


@pytest.mark.servers
@pytest.mark.slow  # a fresh interpreter importing laotie: seconds quiet, ~20 s when shared
def test_a_feed_event_accepted_by_one_process_changes_another_process_page_within_1s(
    tmp_path: Path, redis_url: str, spawn
) -> None:
    home = tmp_path / "home"
    services = build_services(load_settings(home=home, live_state_url=redis_url))
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="cr", name="C"))
        for n in range(30):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=f"v{n}", kind="video", creator_id="cr", title=f"t{n}", category="美食"
                ),
            )
    services.events.ingest(
        [{"id": "first", "type": "play", "user_id": "u1", "item_id": "v29",
          "ts_ms": services.clock.now_ms()}]
    )  # fmt: skip
    before = _ids(services.feed.feed("u1", n=10, log=False))
    assert len(before) >= 3
    user = services.feed.resolve_user("u1")
    done = spawn.Event()
    other = spawn.Process(target=watch, args=(str(home), redis_url, "u1", before[:2], done))
    other.start()
    try:
        assert done.wait(180), "the other process never ingested"
        accepted = time.monotonic()
        after = _ids(services.feed.feed("u1", n=10, log=False))
        elapsed = time.monotonic() - accepted
        serving = services.feed.served.state
        seen = set(serving.catalog.external_id[serving.bundle.state.seen_items(user)].tolist())
    finally:
        other.join(60)
        services.close()
    assert other.exitcode == 0
    assert set(before[:2]) <= seen  # this process never saw these events itself
    assert not set(before[:2]) & set(after)
    assert elapsed < 1.0
