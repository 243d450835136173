"""Thompson sampling over creative variants, and a regret simulation against fixed variants.

Each variant's click rate has a Beta posterior; a new variant starts from a prior centred on
its campaign's rate (``prior_mean``) with ``prior_strength`` pseudo-impressions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ThompsonSampler:
    """Beta-Bernoulli Thompson sampling over ``n_arms`` variants."""

    def __init__(
        self,
        n_arms: int,
        *,
        prior_mean: float = 0.05,
        prior_strength: float = 10.0,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        if n_arms < 1:
            raise ValueError("n_arms must be >= 1")
        self.n_arms = n_arms
        self.prior_mean = prior_mean
        self.prior_strength = prior_strength
        self.random_state = random_state
        self._rng = np.random.default_rng(random_state)
        self.successes_ = np.zeros(n_arms)
        self.trials_ = np.zeros(n_arms)

    def _posterior(self) -> tuple[np.ndarray, np.ndarray]:
        alpha = self.prior_mean * self.prior_strength + self.successes_
        beta = (1 - self.prior_mean) * self.prior_strength + self.trials_ - self.successes_
        return alpha, np.maximum(beta, 1e-9)

    def choose(self) -> int:
        """The arm whose posterior draw is highest."""
        alpha, beta = self._posterior()
        return int(np.argmax(self._rng.beta(alpha, beta)))

    def update(self, arm: int, *, trials: float = 1, successes: float = 0) -> None:
        """Add observed ``trials`` (impressions) and ``successes`` (clicks) to ``arm``."""
        self.trials_[arm] += trials
        self.successes_[arm] += successes

    def posterior_mean(self) -> np.ndarray:
        """The posterior mean rate of each arm."""
        alpha, beta = self._posterior()
        return alpha / (alpha + beta)


@dataclass(frozen=True)
class RegretCurve:
    """Cumulative expected regret after each round, against the best fixed variant."""

    policy: str
    regret: np.ndarray

    @property
    def total(self) -> float:
        """Regret after the last round (expected clicks lost)."""
        return float(self.regret[-1])


def simulate_regret(
    true_rates: np.ndarray,
    *,
    rounds: int,
    policy: str = "thompson",
    random_state: int | None = None,
) -> RegretCurve:
    """Allocate ``rounds`` impressions by ``policy`` (``thompson`` | ``uniform``) over variants
    with known click rates; regret = best rate x rounds - sum of the chosen variants' rates."""
    rates = np.asarray(true_rates, dtype=float)
    rng = np.random.default_rng(random_state)
    best = rates.max()
    lost = np.empty(rounds)
    if policy == "uniform":
        arms = rng.integers(0, rates.size, size=rounds)
        lost[:] = best - rates[arms]
    elif policy == "thompson":
        sampler = ThompsonSampler(
            rates.size, prior_mean=float(rates.mean()), random_state=int(rng.integers(1 << 31))
        )
        clicks = rng.random(rounds)
        for t in range(rounds):
            arm = sampler.choose()
            sampler.update(arm, trials=1, successes=float(clicks[t] < rates[arm]))
            lost[t] = best - rates[arm]
    else:
        raise ValueError(f"unknown policy {policy!r}: use 'thompson' or 'uniform'")
    return RegretCurve(policy=policy, regret=np.cumsum(lost))
