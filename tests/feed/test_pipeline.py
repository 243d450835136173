"""The request pipeline's pre-rank: the models' depth must leave every page fillable."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from laotie.core.clock import ManualClock
from laotie.core.feedconfig import FeedConfig
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
from laotie.feed.pipeline import Pipeline, prerank_keep
from laotie.feed.signals import FeedData
from laotie.feed.training import train
from laotie.sim.logged import logged_world


@settings(max_examples=200, deadline=None)
@given(
    creators=st.lists(st.integers(-1, 5), min_size=1, max_size=60),
    depth=st.integers(1, 40),
    per_creator=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
def test_prerank_keeps_the_best_within_the_per_creator_limit(
    creators: list[int], depth: int, per_creator: int, seed: int
) -> None:
    creator = np.asarray(creators, np.int64)
    play = np.random.default_rng(seed).random(len(creator))
    keep = prerank_keep(play, creator, depth=depth, per_creator=per_creator)
    assert len(keep) == min(depth, len(creator))
    assert np.array_equal(keep, np.unique(keep))
    order = np.argsort(-play, kind="stable")
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    within = np.array(
        [
            c < 0 or int(np.sum((creator == c) & (rank < rank[i]))) < per_creator
            for i, c in enumerate(creator.tolist())
        ]
    )
    if within.sum() >= depth:  # enough rows inside the limit: only those, best first
        assert within[keep].all()
        assert np.array_equal(np.sort(keep), np.sort(order[within[order]][:depth]))
    else:  # every row inside the limit, topped up by the best of the rest
        assert within.sum() == within[keep].sum()


def _one_creator_owns_the_hits(world: FeedData) -> FeedData:
    """``world`` with its 300 most played items moved to one creator."""
    plays = world.events.group_by("item_id").len().sort("len", descending=True)
    hits = plays["item_id"].head(300).to_list()
    owner = world.items["creator_id"][0]
    items = world.items.with_columns(
        pl.when(pl.col("id").is_in(hits))
        .then(pl.lit(owner))
        .otherwise(pl.col("creator_id"))
        .alias("creator_id")
    )
    return FeedData(items=items, events=world.events, follows=world.follows, now_ms=world.now_ms)


def test_pages_are_full_when_one_creator_owns_the_best_candidates() -> None:
    # enough creators besides the owner that cap 10 can fill 100 (the shared world's 30,
    # most of them making series, novels or games, cannot)
    skewed = _one_creator_owns_the_hits(
        logged_world(items=600, users=150, events=24_000, creators=120, seed=3)
    )
    bundle, _ = train(skewed, FeedConfig(), version="skewed")
    catalog = Catalog.from_frame(skewed.items, categories=bundle.categories)
    # cap 2 fills 20 items, cap 10 fills 100 (more than the rank depth of 60)
    for n, cap in ((20, 2), (100, 10)):
        config = FeedConfig.model_validate({"rerank": {"creator_cap": cap}})
        pipeline = Pipeline(bundle, catalog, config, clock=ManualClock(skewed.now_ms))
        for user in range(0, 150, 15):
            page = pipeline.run(user, n).items
            assert len(page) == n, (user, n)
            owners = catalog.creator[[r.item_id for r in page]]
            assert np.bincount(owners[owners >= 0]).max() <= cap


def test_the_fresh_slot_shows_a_new_item_and_says_so(trained: Bundle, world: FeedData) -> None:
    catalog = Catalog.from_frame(world.items, categories=trained.categories)
    clock = ManualClock(world.now_ms)
    slotted = Pipeline(trained, catalog, FeedConfig(), clock=clock)
    plain = Pipeline(
        trained,
        catalog,
        FeedConfig.model_validate({"rerank": {"fresh_slots": []}}),
        clock=clock,
    )
    slot = FeedConfig().rerank.fresh_slots[0]
    moved = slotted_pages = 0
    for user in range(0, 150, 10):
        page = slotted.run(user, 10, explain=True).items
        # a user with no new item left to show (all shown above by merit, or none) keeps
        # the slot for the best of the rest
        slotted_pages += f"fresh slot {slot + 1}" in page[slot].adjustments
        assert all("fresh slot" not in " ".join(r.adjustments) for r in page[:slot])
        if f"fresh slot {slot + 1}" in page[slot].adjustments:
            assert "fresh" in page[slot].sources
        others = plain.run(user, 10, explain=True).items
        # the slot and its contenders move nothing above it
        assert [r.item_id for r in page[:slot]] == [r.item_id for r in others[:slot]]
        moved += "fresh" not in others[slot].sources
    assert slotted_pages >= 12  # of 15 pages
    assert moved  # without the slot the new items lose their place on some pages


def test_explain_names_a_source_for_every_item_and_only_real_adjustments(
    trained: Bundle, world: FeedData
) -> None:
    catalog = Catalog.from_frame(world.items, categories=trained.categories)
    config = FeedConfig.model_validate({"serving": {"min_candidates": 590}})  # popular tops up
    pipeline = Pipeline(trained, catalog, config, clock=ManualClock(world.now_ms))
    for user in range(0, 150, 25):
        page = pipeline.run(user, 100, explain=True).items
        assert all(r.sources for r in page)
        for position, r in enumerate(page):
            assert f"rank {position + 1}->{position + 1}" not in r.adjustments
            assert "diversity -0.000" not in r.adjustments
