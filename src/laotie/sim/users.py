"""The simulated population: fixed traits drawn once, and state that evolves day by day.

Traits: activity level (KuaiRand user_active_degree shares), sparse interests over categories,
an archetype that sets kind preferences (scrollers, bingers, readers, gamers), patience and
AIGC sensitivity. State: satisfaction (an EMA of daily session satisfaction) and trust in the
platform (lowered when unlabelled AIGC is spotted); both drive the daily return probability.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from laotie.sim.config import UserConfig

ACTIVITY_LEVELS = ("full_active", "high_active", "middle_active", "low_active")
ARCHETYPES = ("scroller", "binger", "reader", "gamer")
#: kind preference (video, episode, chapter, game) of each archetype, before normalising
ARCHETYPE_KINDS = np.array(
    [
        [1.0, 0.25, 0.12, 0.15],
        [0.6, 1.0, 0.15, 0.1],
        [0.5, 0.2, 1.0, 0.1],
        [0.6, 0.15, 0.1, 1.0],
    ]
)


@dataclass
class Population:
    """Per-user arrays aligned with ``user_ids``."""

    user_ids: list[str]
    activity: np.ndarray
    archetype: np.ndarray
    interests: np.ndarray
    kind_pref: np.ndarray
    patience: np.ndarray
    aigc_sensitivity: np.ndarray
    satisfaction: np.ndarray
    trust: np.ndarray

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.user_ids)


def generate_population(
    config: UserConfig, *, n_users: int, category_first: np.ndarray, rng: np.random.Generator
) -> Population:
    """Draw ``n_users`` users over the world's categories (``category_first`` = parent index)."""
    n_cats = len(category_first)
    activity = rng.choice(len(ACTIVITY_LEVELS), size=n_users, p=np.asarray(config.activity_shares))
    archetype = rng.choice(len(ARCHETYPES), size=n_users, p=np.asarray(config.archetype_shares))
    interests = np.zeros((n_users, n_cats))
    k = min(config.interests_per_user, n_cats)
    popularity = rng.dirichlet(np.full(n_cats, 2.0))
    for u in range(n_users):
        chosen = rng.choice(n_cats, size=k, replace=False, p=popularity)
        interests[u, chosen] = rng.dirichlet(np.full(k, config.interest_concentration))
    # interest spills over to sibling categories under the same first level
    n_first = int(category_first.max()) + 1
    parent = np.zeros((n_users, n_first))
    np.add.at(parent.T, category_first, interests.T)
    interests = interests + 0.15 * parent[:, category_first]
    interests /= interests.max(axis=1, keepdims=True)
    kind_pref = ARCHETYPE_KINDS[archetype] * rng.lognormal(0.0, 0.25, (n_users, 4))
    kind_pref /= kind_pref.max(axis=1, keepdims=True)
    patience = rng.gamma(4.0, config.patience_mean / 4.0, n_users)
    mean = config.aigc_sensitivity_mean
    sens = rng.beta(max(mean, 1e-3) * 3, max(1 - mean, 1e-3) * 3, n_users)
    return Population(
        user_ids=[f"sim-u{u:06d}" for u in range(n_users)],
        activity=activity,
        archetype=archetype,
        interests=interests,
        kind_pref=kind_pref,
        patience=np.maximum(patience, 2.0),
        aigc_sensitivity=sens,
        satisfaction=np.full(n_users, config.neutral_satisfaction),
        trust=np.ones(n_users),
    )


def return_probability(config: UserConfig, population: Population) -> np.ndarray:
    """Each user's chance to open the app today, from activity, satisfaction and trust."""
    base = np.asarray(config.base_return)[population.activity]
    shift = config.return_satisfaction_weight * (
        population.satisfaction - config.neutral_satisfaction
    )
    odds = np.log(base / (1 - base)) + 4.0 * shift
    p = 1.0 / (1.0 + np.exp(-odds))
    return np.clip(p * population.trust**config.return_trust_weight, 0.0, 1.0)


def update_daily_state(
    config: UserConfig,
    population: Population,
    *,
    active: np.ndarray,
    day_satisfaction: np.ndarray,
    trust_recovery: float,
) -> None:
    """Fold today's satisfaction of active users into the EMA; trust recovers slowly."""
    w = config.satisfaction_memory
    population.satisfaction = np.where(
        active, (1 - w) * population.satisfaction + w * day_satisfaction, population.satisfaction
    )
    population.trust = np.minimum(1.0, population.trust + trust_recovery * (1 - population.trust))
