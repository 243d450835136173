"""Re-rank constraints as properties: caps, quotas, seen filter, trust gate, AIGC demotion."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from laotie.core.contracts import TrustDecision
from laotie.core.feedconfig import RerankConfig
from laotie.feed.catalog import AIGC_NONE, KINDS, Catalog
from laotie.feed.rerank import filter_candidates, items_ahead, select_page

KIND_NAMES = list(KINDS)
AIGC = ["none", "declared", "suspected", "confirmed"]


@st.composite
def catalogs(draw: st.DrawFn) -> Catalog:
    size = draw(st.integers(min_value=1, max_value=80))
    return Catalog.from_frame(
        pl.DataFrame(
            {
                "id": np.arange(1, size + 1),
                "kind": draw(st.lists(st.sampled_from(KIND_NAMES), min_size=size, max_size=size)),
                "creator_id": draw(st.lists(st.integers(1, 6), min_size=size, max_size=size)),
                "category": draw(st.lists(st.sampled_from("abcde"), min_size=size, max_size=size)),
                "aigc_status": draw(st.lists(st.sampled_from(AIGC), min_size=size, max_size=size)),
            }
        )
    )


#: a catalog, a page size, a score seed and a creator cap: what every page property draws
PAGES = {
    "catalog": catalogs(),
    "n": st.integers(1, 30),
    "seed": st.integers(0, 1000),
    "creator_cap": st.integers(1, 4),
}


@settings(max_examples=150, deadline=None)
@given(**PAGES, aigc_cap=st.floats(0, 1), mmr=st.floats(0, 1))
def test_page_respects_hard_caps(
    catalog: Catalog, n: int, seed: int, creator_cap: int, aigc_cap: float, mmr: float
) -> None:
    config = RerankConfig(creator_cap=creator_cap, aigc_cap=aigc_cap, mmr_lambda=mmr)
    ids = np.arange(1, catalog.size)
    scores = np.random.default_rng(seed).random(len(ids))
    page = select_page(ids, scores, catalog=catalog, n=n, config=config)
    chosen = ids[page.rows]
    assert len(chosen) <= n and len(set(chosen.tolist())) == len(chosen)
    creators = catalog.creator[chosen]
    assert np.bincount(creators).max(initial=0) <= creator_cap
    assert int((catalog.aigc[chosen] != AIGC_NONE).sum()) <= int(np.floor(aigc_cap * n))
    # the page is only short when the hard caps leave nothing else to take
    if len(chosen) < min(n, len(ids)):
        rest = np.setdiff1d(ids, chosen)
        blocked_by_creator = (
            np.bincount(creators, minlength=10)[catalog.creator[rest]] >= creator_cap
        )
        blocked_by_aigc = (catalog.aigc[rest] != AIGC_NONE) & (
            (catalog.aigc[chosen] != AIGC_NONE).sum() >= int(np.floor(aigc_cap * n))
        )
        assert np.all(blocked_by_creator | blocked_by_aigc)


@settings(max_examples=150, deadline=None)
@given(**PAGES, slots=st.lists(st.integers(0, 30), max_size=3))
def test_fresh_slots_hold_a_fresh_candidate_while_one_is_allowed(
    catalog: Catalog, n: int, seed: int, slots: list[int], creator_cap: int
) -> None:
    rng = np.random.default_rng(seed)
    kinds = dict.fromkeys(KIND_NAMES, 1.0)
    config = RerankConfig(creator_cap=creator_cap, aigc_cap=1.0, kind_caps=kinds, fresh_slots=slots)
    ids = np.arange(1, catalog.size)
    fresh = rng.random(len(ids)) < 0.3
    page = select_page(ids, rng.random(len(ids)), catalog=catalog, n=n, config=config, fresh=fresh)
    assert len(page.rows) <= n
    creator = catalog.creator[ids]
    for position, row in enumerate(page.rows.tolist()):
        assert (f"fresh slot {position + 1}" in page.notes.get(row, [])) == (
            position in slots and bool(fresh[row])
        )
        if position in slots and not fresh[row]:  # only when every fresh creator is capped
            counts = np.bincount(creator[page.rows[:position]], minlength=creator.max() + 1)
            waiting = fresh.copy()
            waiting[page.rows[:position]] = False
            assert (counts[creator[waiting]] >= creator_cap).all()


@settings(max_examples=150, deadline=None)
@given(**PAGES, gap=st.integers(0, 3))
def test_a_creator_waits_creator_gap_items_while_others_can_fill(
    catalog: Catalog, n: int, seed: int, creator_cap: int, gap: int
) -> None:
    kinds = dict.fromkeys(KIND_NAMES, 1.0)
    config = RerankConfig(
        creator_cap=creator_cap, creator_gap=gap, aigc_cap=1.0, kind_caps=kinds, fresh_slots=[]
    )
    ids = np.arange(1, catalog.size)
    scores = np.random.default_rng(seed).random(len(ids))
    chosen = ids[select_page(ids, scores, catalog=catalog, n=n, config=config).rows]
    creators = catalog.creator[chosen]
    assert np.bincount(creators).max(initial=0) <= creator_cap
    for position in range(1, len(chosen)):
        window = creators[max(0, position - gap) : position] if gap else creators[:0]
        if creators[position] in window:  # only when every other allowed candidate is too
            rest = np.setdiff1d(ids, chosen[:position])
            counts = np.bincount(creators[:position], minlength=catalog.creator.max() + 1)
            allowed = rest[counts[catalog.creator[rest]] < creator_cap]
            assert np.isin(catalog.creator[allowed], window).all()


def test_creator_gap_spreads_one_creators_best_items() -> None:
    catalog = Catalog.from_frame(
        pl.DataFrame(
            {"id": [1, 2, 3, 4, 5], "creator_id": [7, 7, 7, 8, 9], "category": list("abcde")}
        )
    )  # fmt: skip
    ids = np.arange(1, 6)
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    page = {
        gap: ids[
            select_page(
                ids,
                scores,
                catalog=catalog,
                n=5,
                config=RerankConfig(creator_cap=3, creator_gap=gap),
            ).rows
        ].tolist()
        for gap in (0, 1, 2)
    }
    assert page[0] == [1, 2, 3, 4, 5]
    assert page[1] == [1, 4, 2, 5, 3]
    assert page[2] == [1, 4, 5, 2, 3]  # nothing else is left for the last two places


@settings(max_examples=100, deadline=None)
@given(n=st.integers(5, 30), seed=st.integers(0, 1000))
def test_kind_caps_hold_when_other_kinds_can_fill(n: int, seed: int) -> None:
    size = 200
    catalog = Catalog.from_frame(
        pl.DataFrame(
            {
                "id": np.arange(1, size + 1),
                "kind": [KIND_NAMES[i % 4] for i in range(size)],
                "creator_id": np.arange(1, size + 1),
                "category": "x",
            }
        )
    )
    config = RerankConfig()
    ids = np.arange(1, size + 1)
    scores = np.random.default_rng(seed).random(size) + (catalog.kind[ids] == 0) * 10
    chosen = ids[select_page(ids, scores, catalog=catalog, n=n, config=config).rows]
    assert len(chosen) == n
    for code, name in enumerate(KIND_NAMES):
        limit = max(1, int(np.floor(getattr(config.kind_caps, name) * n)))
        assert int((catalog.kind[chosen] == code).sum()) <= limit


@settings(max_examples=100, deadline=None)
@given(catalog=catalogs(), seed=st.integers(0, 1000))
def test_filters_drop_seen_and_withheld_keep_next_items(catalog: Catalog, seed: int) -> None:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, catalog.size)
    seen = ids[rng.random(len(ids)) < 0.4]
    next_items = seen[rng.random(len(seen)) < 0.3]
    decisions = {
        int(i): TrustDecision(rng.choice(["allow", "demote", "review", "block"]))
        for i in ids[rng.random(len(ids)) < 0.5]
    }
    kept = filter_candidates(
        ids,
        catalog=catalog,
        seen=seen,
        next_items=next_items,
        decisions=decisions,
        config=RerankConfig(),
    )
    for item, factor in zip(kept.ids.tolist(), kept.factor.tolist(), strict=True):
        assert item not in set(seen.tolist()) - set(next_items.tolist())
        assert decisions.get(item) not in (TrustDecision.BLOCK, TrustDecision.REVIEW)
        expected = 1.0
        if decisions.get(item) == TrustDecision.DEMOTE:
            expected *= 0.5
        if AIGC[int(catalog.aigc[item])] == "suspected":
            expected *= 0.5
        assert abs(factor - expected) < 1e-6
    for item in next_items.tolist():
        if decisions.get(item) not in (TrustDecision.BLOCK, TrustDecision.REVIEW):
            assert item in kept.ids.tolist()


def test_diversity_spreads_categories() -> None:
    catalog = Catalog.from_frame(
        pl.DataFrame(
            {
                "id": np.arange(1, 21),
                "category": ["a"] * 10 + ["b"] * 10,
                "creator_id": np.arange(1, 21),
            }
        )
    )
    ids = np.arange(1, 21)
    scores = np.where(ids <= 10, 1.0, 0.9) - ids * 1e-3
    plain = ids[
        select_page(ids, scores, catalog=catalog, n=4, config=RerankConfig(mmr_lambda=0)).rows
    ]
    diverse = ids[
        select_page(ids, scores, catalog=catalog, n=4, config=RerankConfig(mmr_lambda=0.5)).rows
    ]
    assert set(catalog.category[plain].tolist()) == {0}
    assert set(catalog.category[diverse].tolist()) == {0, 1}


def test_episodes_past_the_next_one_are_not_offered() -> None:
    """A user about to watch episode 23 is not offered episode 45 of the same series (a
    spoiler); earlier episodes, the next one and other series' episodes stay."""
    series = np.r_[np.full(50, 7), np.full(50, 8)]
    position = np.r_[np.arange(1, 51), np.arange(1, 51)]
    catalog = Catalog.from_frame(
        pl.DataFrame(
            {
                "id": np.arange(1, 101),
                "kind": ["episode"] * 100,
                "series_id": series,
                "position": position,
            }
        )
    )
    next_ep23 = np.array([23])  # item 23 is episode 23 of series 7
    candidates = np.array([10, 23, 24, 45, 95])  # 95: episode 45 of series 8
    kept = filter_candidates(
        candidates,
        catalog=catalog,
        seen=np.arange(1, 23),
        next_items=next_ep23,
        decisions={},
        config=RerankConfig(),
    )
    assert kept.ids.tolist() == [23, 95]  # 10 was seen; 24 and 45 are ahead of 23
    assert kept.dropped == {"seen": 1, "ahead": 2}
    assert not items_ahead(candidates, np.empty(0, np.int64), catalog).any()
