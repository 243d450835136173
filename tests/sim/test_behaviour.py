"""Behaviour model: invariants, monotone responses, common random numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from laotie.sim import (
    BehaviourConfig,
    UserConfig,
    WorldConfig,
    generate_population,
    generate_world,
    simulate_page,
    true_utility,
)

WORLD = generate_world(
    WorldConfig(videos=400, series=2, novels=1, games=10, creators=40),
    days=3,
    start_ms=1_767_542_400_000,
    rng=np.random.default_rng(0),
)
POP = generate_population(
    UserConfig(), n_users=50, category_first=WORLD.category_first, rng=np.random.default_rng(1)
)
CFG = BehaviourConfig()


@settings(max_examples=60, deadline=None)
@given(user=st.integers(0, 49), seed=st.integers(0, 10_000), seen=st.integers(0, 60))
def test_page_invariants(user: int, seed: int, seen: int) -> None:
    rng = np.random.default_rng(seed)
    items = rng.choice(WORLD.n_items, size=10, replace=False)
    out = simulate_page(CFG, POP, WORLD, user=user, items=items, seen_before=seen, rng=rng)
    duration = WORLD.duration_ms[out.items]
    assert 1 <= out.seen <= 10
    assert (out.watch_ms >= 0).all() and (out.watch_ms <= duration).all()
    assert not (out.like & ~out.engaged).any()
    assert not (out.completed & ~out.engaged).any()
    assert (out.watch_ms[out.completed] == duration[out.completed]).all()
    plays = out.valid_play(duration)
    longs = out.long_view(duration)
    assert not (longs & ~plays).any()  # a long view is always a valid play


def test_common_random_numbers_replay_exactly() -> None:
    items = np.arange(10)
    a = simulate_page(CFG, POP, WORLD, user=3, items=items, seen_before=0,
                      rng=np.random.default_rng(7))  # fmt: skip
    b = simulate_page(CFG, POP, WORLD, user=3, items=items, seen_before=0,
                      rng=np.random.default_rng(7))  # fmt: skip
    assert np.array_equal(a.watch_ms, b.watch_ms) and np.array_equal(a.like, b.like)


def _play_rate(items: np.ndarray, user: int) -> float:
    plays = 0
    shown = 0
    for seed in range(300):
        out = simulate_page(CFG, POP, WORLD, user=user, items=items, seen_before=0,
                            rng=np.random.default_rng(seed))  # fmt: skip
        plays += int(out.engaged.sum())
        shown += out.seen
    return plays / shown


def test_affinity_raises_play_rate_and_utility() -> None:
    user = 0
    videos = np.flatnonzero(WORLD.kind == 0)
    aff = POP.interests[user, WORLD.category[videos]]
    liked = videos[np.argsort(-aff)[:5]]
    disliked = videos[np.argsort(aff)[:5]]
    assert _play_rate(liked, user) > _play_rate(disliked, user) + 0.05
    assert (
        true_utility(CFG, POP, WORLD, user, liked).mean()
        > true_utility(CFG, POP, WORLD, user, disliked).mean()
    )


def test_utility_is_a_probability() -> None:
    u = true_utility(CFG, POP, WORLD, 5, np.arange(WORLD.n_items))
    assert ((u >= 0) & (u <= 1)).all()
