"""Satiation: levels grow with impressions, halve per half-life, and lower the play rate."""

from __future__ import annotations

import numpy as np

from laotie.core.clock import MS_PER_HOUR
from laotie.sim import BehaviourConfig, SimConfig, WorldConfig, simulate_page
from laotie.sim.runner import build_world
from laotie.sim.satiation import Satiation

SMALL = WorldConfig(videos=400, series=2, novels=1, games=10, creators=40)
WORLD, POP = build_world(SimConfig(world=SMALL).with_run(users=20, days=3))
CFG = BehaviourConfig()
T0 = 1_767_600_000_000


def _creator_items(n: int) -> np.ndarray:
    """``n`` videos of the creator with the most videos."""
    videos = np.flatnonzero(WORLD.kind == 0)
    top = np.bincount(WORLD.creator[videos]).argmax()
    return videos[WORLD.creator[videos] == top][:n]


def test_levels_count_earlier_impressions_on_the_page_and_before() -> None:
    sat = Satiation(CFG, WORLD, POP.n_users)
    items = _creator_items(3)
    creator, category = sat.levels(0, items, T0)
    assert creator.tolist() == [0.0, 1.0, 2.0]
    assert category[0] == 0.0 and category[-1] >= 2.0
    sat.saw(0, items, T0)
    creator, _ = sat.levels(0, items[:1], T0)
    assert creator[0] == 3.0
    later = T0 + int(CFG.satiation_creator_hours * MS_PER_HOUR)
    creator, _ = sat.levels(0, items[:1], later)
    assert np.isclose(creator[0], 1.5)  # half recovered after one half-life
    category_later = sat.levels(
        0, items[:1], T0 + int(100 * CFG.satiation_category_hours) * MS_PER_HOUR
    )[1]
    assert category_later[0] < 1e-6  # fully recovered after many half-lives
    assert sat.levels(1, items[:1], T0)[0][0] == 0.0  # other users are untouched


def test_disabled_satiation_changes_nothing() -> None:
    off = BehaviourConfig(satiation_creator=0.0, satiation_category=0.0)
    sat = Satiation(off, WORLD, POP.n_users)
    items = _creator_items(4)
    sat.saw(0, items, T0)
    assert not sat.penalty(0, items, T0).any()


def test_a_tired_user_plays_less_of_the_same_creator() -> None:
    items = _creator_items(6)
    sat = Satiation(CFG, WORLD, POP.n_users)
    fresh = sat.penalty(2, items, T0)
    for hour in range(6):
        sat.saw(2, items, T0 + hour * MS_PER_HOUR)
    tired = sat.penalty(2, items, T0 + 6 * MS_PER_HOUR)
    assert (tired > fresh).all()

    def plays(penalty: np.ndarray) -> int:
        return sum(
            int(
                simulate_page(
                    CFG, POP, WORLD, user=2, items=items, seen_before=0,
                    rng=np.random.default_rng(seed), satiation=penalty,
                ).engaged[:1].sum()
            )
            for seed in range(400)
        )  # fmt: skip

    assert plays(tired) < plays(fresh) * 0.8
