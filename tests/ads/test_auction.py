"""GSP auction, prices and ad load rules: property tests on the invariants."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from laotie.ads import bid_ecpm, click_price_fen, gsp
from laotie.ads.auction import CPC, CPM, OCPC
from laotie.ads.serving import ad_positions

bids = st.lists(st.floats(0.0, 1e5, allow_nan=False), min_size=0, max_size=40)


@given(
    bids,
    st.data(),
    st.floats(0.0, 5e3, allow_nan=False),
    st.integers(0, 5),
)
@settings(max_examples=300, deadline=None)
def test_second_price_never_exceeds_bid_and_respects_reserve(values, data, reserve, slots):
    bid = np.array(values)
    quality = np.array(
        data.draw(st.lists(st.floats(0.5, 2.0), min_size=bid.size, max_size=bid.size))
    )
    winners, price = gsp(bid, quality, reserve_ecpm=reserve, slots=slots)
    assert winners.size == price.size <= slots
    assert len(set(winners.tolist())) == winners.size
    assert np.all(price <= bid[winners] + 1e-9)
    assert np.all(price >= reserve - 1e-9)
    assert np.all(bid[winners] >= reserve)
    score = bid * quality
    assert np.all(np.diff(score[winners]) <= 1e-9)
    losers = np.setdiff1d(np.flatnonzero(bid >= reserve), winners)
    if winners.size and losers.size:
        assert score[losers].max() <= score[winners].min() + 1e-9
    if slots > 0 and np.any(bid >= reserve):
        assert winners.size == min(slots, int(np.sum(bid >= reserve)))


def test_gsp_prices_by_next_score_over_own_quality():
    bid = np.array([1000.0, 800.0, 300.0])
    quality = np.array([1.0, 2.0, 1.0])
    winners, price = gsp(bid, quality, reserve_ecpm=100, slots=2)
    assert winners.tolist() == [1, 0]  # scores 1600, 1000, 300
    assert price.tolist() == [500.0, 300.0]  # 1000/2, 300/1


def test_last_winner_pays_reserve():
    winners, price = gsp(np.array([900.0]), np.array([1.0]), reserve_ecpm=250, slots=3)
    assert winners.tolist() == [0] and price.tolist() == [250.0]


@given(
    st.floats(1.0, 1e5, allow_nan=False),
    st.floats(1e-4, 0.9),
    st.integers(1, 100_000),
)
@settings(max_examples=300, deadline=None)
def test_click_price_is_whole_fen_at_most_the_bid(price_fraction, pctr, bid):
    bid_cpm = bid * pctr * 1000
    price = min(price_fraction, bid_cpm)
    charged = click_price_fen(price, pctr, cap_fen=bid)
    assert isinstance(charged, int)
    assert 1 <= charged <= bid


def test_bid_ecpm_by_objective():
    objective = np.array([CPM, CPC, OCPC])
    bid = np.array([3000.0, 50.0, 2000.0])
    pctr = np.array([0.1, 0.02, 0.02])
    pcvr = np.array([0.5, 0.5, 0.1])
    assert bid_ecpm(objective, bid, pctr, pcvr).tolist() == [3000.0, 1000.0, 4000.0]


@given(
    st.lists(st.integers(-3, 60), max_size=20),
    st.integers(2, 6),
    st.one_of(st.none(), st.integers(0, 10)),
)
@settings(max_examples=300, deadline=None)
def test_ad_load_rules_never_place_two_ads_adjacent(slots, min_gap, since):
    kept = ad_positions(slots, min_gap=min_gap, items_since_last_ad=since)
    assert kept == sorted(kept) and all(p >= 0 for p in kept)
    assert set(kept) <= set(slots)
    assert all(b - a >= min_gap for a, b in itertools.pairwise(kept))
    if since is not None and kept:
        assert kept[0] + since + 1 >= min_gap
