"""Thompson sampling over creative variants: sub-linear regret that beats uniform allocation."""

from __future__ import annotations

import numpy as np
import pytest

from laotie.ads import ThompsonSampler, simulate_regret

# 2 titles x 3 covers x 2 templates = 12 variants; click rates like real creatives differ
RATES = np.array(
    [0.020, 0.022, 0.025, 0.018, 0.030, 0.021, 0.024, 0.019, 0.026, 0.045, 0.023, 0.020]
)


def test_thompson_regret_is_sublinear_and_beats_uniform():
    rounds = 10_000
    runs = [
        simulate_regret(RATES, rounds=rounds, policy="thompson", random_state=s) for s in range(3)
    ]
    uniform = simulate_regret(RATES, rounds=rounds, policy="uniform", random_state=0)
    regret = np.mean([r.regret for r in runs], axis=0)
    # uniform's regret grows linearly: (best - mean rate) per round
    assert uniform.total == pytest.approx(rounds * (RATES.max() - RATES.mean()), rel=0.05)
    assert regret[-1] < 0.6 * uniform.total
    # sub-linear: the second half of the rounds adds much less regret than the first half
    half = rounds // 2
    assert regret[-1] - regret[half - 1] < 0.6 * regret[half - 1]
    # and the per-round regret keeps shrinking
    quarters = np.diff(regret[[0, rounds // 4 - 1, rounds // 2 - 1, 3 * rounds // 4 - 1, -1]])
    assert quarters[-1] < quarters[0]


def test_sampler_converges_to_the_best_variant():
    rng = np.random.default_rng(1)
    sampler = ThompsonSampler(RATES.size, prior_mean=0.02, random_state=2)
    picks = []
    for _ in range(10_000):
        arm = sampler.choose()
        sampler.update(arm, trials=1, successes=float(rng.random() < RATES[arm]))
        picks.append(arm)
    last = np.bincount(picks[-3000:], minlength=RATES.size)
    assert last.argmax() == RATES.argmax()
    assert last.max() / 3000 > 0.7
    assert sampler.posterior_mean().argmax() == RATES.argmax()


def test_new_variant_starts_at_the_campaign_prior():
    sampler = ThompsonSampler(3, prior_mean=0.04, prior_strength=50, random_state=0)
    assert sampler.posterior_mean().tolist() == pytest.approx([0.04] * 3)
    with pytest.raises(ValueError):
        simulate_regret(RATES, rounds=10, policy="greedy")
