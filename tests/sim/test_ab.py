"""A/B: bootstrap deltas, common random numbers, and the A/A false-positive rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from laotie.core.errors import InvalidInput
from laotie.sim.ab import USER_KPIS, Delta, aa_check, combine, compare, run_ab
from laotie.sim.runner import UserTotals

from .conftest import small_config


def _totals(seed: int, n: int = 400, watch_shift: float = 0.0) -> UserTotals:
    rng = np.random.default_rng(seed)
    t = UserTotals.zeros(n)
    t.impressions[:] = rng.poisson(40, n)
    t.valid_plays[:] = rng.binomial(t.impressions, 0.25)
    t.long_views[:] = rng.binomial(t.valid_plays, 0.7)
    t.likes[:] = rng.binomial(t.valid_plays, 0.05)
    t.hates[:] = rng.binomial(t.impressions, 0.01)
    t.watch_ms[:] = rng.gamma(2.0, 300_000 * (1 + watch_shift), n).astype(np.int64)
    t.active_days[:] = rng.integers(1, 6, n)
    t.sessions[:] = t.active_days * 2
    return t


def test_identical_arms_have_zero_delta_and_no_significance() -> None:
    a = _totals(0)
    deltas = compare(a, a, resamples=300)
    assert [d.kpi for d in deltas] == list(USER_KPIS)
    assert all(d.delta == 0 and d.low == 0 and d.high == 0 for d in deltas)
    assert not any(d.significant for d in deltas)


def test_a_real_watch_time_gain_is_significant_and_positive() -> None:
    a = _totals(0)
    b = _totals(0, watch_shift=0.3)
    watch = next(d for d in compare(a, b, resamples=500) if d.kpi == "watch_minutes_per_user")
    assert watch.significant and watch.low > 0
    assert watch.relative == pytest.approx(0.3, abs=0.02)


def test_ci_covers_the_point_estimate() -> None:
    for d in compare(_totals(1), _totals(2), resamples=500):
        assert d.low <= d.delta <= d.high or d.low == d.high


def test_identical_configs_with_common_random_numbers_match_exactly(tmp_path: Path) -> None:
    config = small_config(ads=False)
    result = run_ab(config, config, tmp_path, resamples=200)
    assert all(d.delta == 0 for d in result.deltas)


def _replicate(watch_delta: float) -> list[Delta]:
    """One replicate's deltas: watch minutes moved by ``watch_delta``, the rest unchanged."""
    return [
        Delta(kpi, 10.0, 10.0 + (watch_delta if kpi == "watch_minutes_per_user" else 0.0),
              watch_delta if kpi == "watch_minutes_per_user" else 0.0, -1.0, -0.5)
        for kpi in USER_KPIS
    ]  # fmt: skip


def test_replicates_combine_into_a_t_interval_across_them() -> None:
    swings = [1.5, -1.3, 0.4, 1.0, -0.2]  # each replicate's user interval excluded zero
    combined = {d.kpi: d for d in combine([_replicate(x) for x in swings])}
    watch = combined["watch_minutes_per_user"]
    half = stats.t.ppf(0.975, 4) * np.std(swings, ddof=1) / np.sqrt(5)
    assert watch.delta == pytest.approx(np.mean(swings))
    assert (watch.low, watch.high) == pytest.approx(
        (np.mean(swings) - half, np.mean(swings) + half)
    )
    assert not watch.significant and watch.b_ahead == 3 and watch.replicates == 5
    assert watch.b == pytest.approx(10.0 + np.mean(swings))
    steady = {d.kpi: d for d in combine([_replicate(x) for x in (1.1, 0.9, 1.2)])}
    assert steady["watch_minutes_per_user"].significant
    assert steady["watch_minutes_per_user"].b_ahead == 3
    unchanged = steady["play_rate"]
    assert unchanged.low == unchanged.high == 0 and not unchanged.significant


def test_one_replicate_cannot_be_combined() -> None:
    with pytest.raises(InvalidInput) as err:
        combine([_replicate(1.0)])
    assert err.value.field == "replicates"


def test_replicates_run_independent_seeds(tmp_path: Path) -> None:
    config = small_config(ads=False, users=40, days=1)
    result = run_ab(config, config, tmp_path, resamples=200, replicates=2)
    assert len(result.per_replicate) == 2
    assert result.seeds == [config.run.seed, config.run.seed + 1]
    assert all(d.delta == 0 and not d.significant and d.replicates == 2 for d in result.deltas)
    assert {p.name for p in tmp_path.iterdir()} == {"r0", "r1"}
    assert result.a.config.run.seed == config.run.seed  # the first replicate's arms
    with pytest.raises(InvalidInput) as err:
        run_ab(config, config, tmp_path, replicates=0)
    assert err.value.field == "replicates"


def test_arms_must_share_the_population(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as err:
        run_ab(small_config(), small_config(users=61), tmp_path)
    assert err.value.field == "run.users"


@pytest.mark.slow
def test_aa_user_split_rarely_differs(tmp_path: Path) -> None:
    """20 seeds, users split at random into two identical arms: at most 10% of the KPI tests
    flag a difference (nominal 5%; docs/simulator.md reports the per-KPI rates)."""
    check = aa_check(
        small_config(users=400, days=3, ads=False), tmp_path, seeds=list(range(20)), mode="split"
    )
    flagged = sum(check.significant.values())
    assert flagged <= 0.1 * len(USER_KPIS) * 20, check.significant


@pytest.mark.slow
def test_aa_common_random_numbers_never_differ(tmp_path: Path) -> None:
    check = aa_check(small_config(ads=False), tmp_path, seeds=list(range(20)), mode="crn")
    assert all(v == 0 for v in check.significant.values())


@pytest.mark.slow
def test_full_feed_beats_popularity_only_on_watch_time(tmp_path: Path) -> None:
    """The documented A/B (examples/sim): full pipeline vs the feed's popularity source only,
    ahead in every replicate and across them (docs/simulator.md: 5 of 5, +86%)."""
    from laotie.sim.config import load_config

    examples = Path(__file__).resolve().parents[2] / "examples" / "sim"
    a = load_config(examples / "popular.toml", users=500, days=4)
    b = load_config(examples / "full.toml", users=500, days=4)
    result = run_ab(a, b, tmp_path, replicates=3)
    watch = next(d for d in result.deltas if d.kpi == "watch_minutes_per_user")
    assert watch.significant and watch.delta > 0 and watch.b_ahead == 3, watch
