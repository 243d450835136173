"""What a user does with each impression: play or skip, watch time, reactions, leaving.

The model is a set of logits over the user's affinity to the item's category, the item's
hidden quality, the user's kind preference, the page position and session fatigue. Watch
fraction is Beta distributed around a mean that falls with duration. A ``play`` event follows
KuaiRand's valid-play rule (``laotie.core.watch``), so simulated
play rates read like KuaiRand's ``is_click``. Every impression slot consumes the same number of
random draws whatever happens, so two policies shown to the same user stay on common random
numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import erfinv

from laotie.core.watch import LONG_VIEW, VALID_PLAY, passes_array
from laotie.sim.config import BehaviourConfig
from laotie.sim.users import Population
from laotie.sim.world import World

#: uniform draws consumed per impression slot (play, like, follow, share, comment, hate,
#: leave, detect, skip time)
DRAWS_PER_SLOT = 9


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def affinity(population: Population, world: World, user: int, items: np.ndarray) -> np.ndarray:
    """Interest of ``user`` in the categories of ``items`` (0..1)."""
    return population.interests[user, world.category[items]]


def play_logit(
    config: BehaviourConfig, population: Population, world: World, user: int, items: np.ndarray
) -> np.ndarray:
    """Logit of engaging with each item, before position and fatigue."""
    kind_pref = population.kind_pref[user, world.kind[items]]
    labelled = world.labelled[items]
    return (
        config.play_intercept
        + config.play_affinity * affinity(population, world, user, items)
        + config.play_quality * world.quality[items]
        + config.play_kind * np.log(np.maximum(kind_pref, 1e-3))
        + config.aigc_labelled_play * population.aigc_sensitivity[user] * labelled
    )


def mean_watch_fraction(
    config: BehaviourConfig, population: Population, world: World, user: int, items: np.ndarray
) -> np.ndarray:
    """Expected share of each item watched once engaged (0..1)."""
    minutes = world.duration_ms[items] / 60_000.0
    return _sigmoid(
        config.watch_intercept
        + config.watch_affinity * affinity(population, world, user, items)
        + config.watch_quality * world.quality[items]
        - config.watch_duration * np.log(np.maximum(minutes, 1e-3))
    )


def true_utility(
    config: BehaviourConfig, population: Population, world: World, user: int, items: np.ndarray
) -> np.ndarray:
    """The oracle's relevance: P(engage) x expected watch fraction (0..1)."""
    p = _sigmoid(play_logit(config, population, world, user, items))
    return p * mean_watch_fraction(config, population, world, user, items)


@dataclass
class PageOutcome:
    """What happened on a page, truncated at the impression where the user left."""

    items: np.ndarray
    positions: np.ndarray
    engaged: np.ndarray
    watch_ms: np.ndarray
    completed: np.ndarray
    like: np.ndarray
    follow: np.ndarray
    share: np.ndarray
    comment: np.ndarray
    hate: np.ndarray
    spotted_unlabelled: np.ndarray
    satisfaction: np.ndarray
    left: bool

    @property
    def seen(self) -> int:
        """Impressions the user actually saw."""
        return len(self.items)

    def valid_play(self, duration_ms: np.ndarray) -> np.ndarray:
        """KuaiRand's is_click rule (``core.watch.VALID_PLAY``) per impression."""
        return passes_array(VALID_PLAY, self.watch_ms, duration_ms)

    def long_view(self, duration_ms: np.ndarray) -> np.ndarray:
        """KuaiRand's long_view rule (``core.watch.LONG_VIEW``) per impression."""
        return passes_array(LONG_VIEW, self.watch_ms, duration_ms)


def simulate_page(
    config: BehaviourConfig,
    population: Population,
    world: World,
    *,
    user: int,
    items: np.ndarray,
    seen_before: int,
    rng: np.random.Generator,
    start_position: int = 0,
    satiation: np.ndarray | None = None,
) -> PageOutcome:
    """Simulate ``user`` going down ``items`` in order, after ``seen_before`` impressions;
    ``satiation`` is each item's play-logit penalty (``sim.satiation``)."""
    n = len(items)
    draws = rng.random((n, DRAWS_PER_SLOT))
    positions = np.arange(start_position, start_position + n)
    fatigue = seen_before + np.arange(n)
    logit = (
        play_logit(config, population, world, user, items)
        - config.play_position * positions
        - config.play_fatigue * fatigue
        - (satiation if satiation is not None else 0.0)
    )
    engaged = draws[:, 0] < _sigmoid(logit)
    m = np.clip(mean_watch_fraction(config, population, world, user, items), 1e-3, 1 - 1e-3)
    k = config.watch_concentration
    fraction = rng.beta(m * k, (1 - m) * k)
    completed = engaged & (fraction >= config.complete_fraction)
    fraction = np.where(completed, 1.0, fraction)
    duration = world.duration_ms[items]
    skip_ms = 300 + draws[:, 8] * 2_700
    watch = np.where(engaged, fraction * duration, np.minimum(skip_ms, duration))
    watch_ms = np.minimum(np.round(watch).astype(np.int64), duration)
    aff = affinity(population, world, user, items)
    quality = world.quality[items]
    unlabelled = world.is_aigc[items] & ~world.labelled[items]
    sens = population.aigc_sensitivity[user]
    spotted = engaged & unlabelled & (draws[:, 7] < config.aigc_unlabelled_detect * sens)
    like = engaged & (
        draws[:, 1]
        < _sigmoid(
            config.like_intercept + config.like_watch * fraction + config.like_quality * quality
        )
    )
    engage = config.follow_watch * fraction + config.engage_affinity * aff
    follow = engaged & (draws[:, 2] < _sigmoid(config.follow_intercept + engage))
    share = engaged & (draws[:, 3] < _sigmoid(config.share_intercept + engage))
    comment = engaged & (draws[:, 4] < _sigmoid(config.comment_intercept + engage))
    hate = draws[:, 5] < _sigmoid(
        config.hate_intercept + config.hate_affinity * aff + 2.0 * spotted - 0.5 * quality
    )
    labelled = world.labelled[items]
    satisfaction = np.where(engaged, fraction, -0.05) + 0.3 * like - 0.5 * hate
    satisfaction = satisfaction + engaged * labelled * config.aigc_labelled_satisfaction * sens
    leave_logit = (
        config.leave_intercept
        + config.leave_skip * ~engaged
        + config.leave_fatigue * (fatigue + 1) / population.patience[user]
    )
    leaves = draws[:, 6] < _sigmoid(leave_logit)
    stop = int(np.argmax(leaves)) + 1 if leaves.any() else n
    cut = slice(0, stop)
    return PageOutcome(
        items=items[cut],
        positions=positions[cut],
        engaged=engaged[cut],
        watch_ms=watch_ms[cut],
        completed=completed[cut],
        like=like[cut],
        follow=follow[cut],
        share=share[cut],
        comment=comment[cut],
        hate=hate[cut],
        spotted_unlabelled=spotted[cut],
        satisfaction=satisfaction[cut],
        left=bool(leaves.any()),
    )


def ad_response(
    config: BehaviourConfig, *, sensitivity: float, aigc: bool, rng: np.random.Generator
) -> tuple[bool, bool, bool, int]:
    """(clicked, converted, left, order value in fen) for one ad impression; always 4 draws."""
    u = rng.random(4)
    click = u[0] < _sigmoid(
        np.array(config.ad_click_intercept + config.ad_aigc_click * sensitivity * aigc)
    )
    convert = bool(click) and u[1] < _sigmoid(np.array(config.ad_convert_intercept))
    leave = u[2] < _sigmoid(np.array(config.leave_intercept + config.ad_leave))
    # lognormal order value (sigma 0.6) with the configured mean, via the inverse normal CDF
    z = float(np.sqrt(2.0) * erfinv(2.0 * min(max(u[3], 1e-9), 1 - 1e-9) - 1.0))
    order_fen = int(config.ad_order_mean_fen * np.exp(0.6 * z - 0.18) + 0.5)
    return bool(click), bool(convert), bool(leave), max(order_fen, 1)
