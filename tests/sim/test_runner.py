"""Runner on the real services: determinism, invariants on the stored events, policies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from laotie.core.clock import ManualClock
from laotie.core.errors import InvalidInput
from laotie.sim.ab import default_services, run_arm
from laotie.sim.runner import Simulation, start_ms_of

from .conftest import small_config


def test_same_seed_gives_identical_results(clean_env: Path) -> None:
    config = small_config()
    a = run_arm(config, clean_env / "a")
    b = run_arm(config, clean_env / "b")
    assert [d.as_row() for d in a.days] == [d.as_row() for d in b.days]
    for name, values in a.totals.as_dict().items():
        assert np.array_equal(values, b.totals.as_dict()[name]), name
    c = run_arm(small_config(seed=1), clean_env / "c")
    assert [d.as_row() for d in a.days] != [d.as_row() for d in c.days]


def test_events_in_the_lake_hold_the_invariants(clean_env: Path) -> None:
    config = small_config(days=2)
    services = default_services(clean_env / "h", ManualClock(start_ms_of(config)))
    try:
        result = Simulation(config, services).run()
        events = services.lake.read()
    finally:
        services.close()
    assert sum(d.rejected_events for d in result.days) == 0
    watches = events.filter(pl.col("type") == "watch")
    assert watches.height > 0
    assert (watches["watch_ms"] <= watches["duration_ms"]).all()
    assert (watches["watch_ms"] >= 0).all()
    assert events["ts_ms"].min() >= result.start_ms
    assert events["ts_ms"].max() < result.end_ms + 3_600_000
    impressions = events.filter(pl.col("type") == "impression").height
    assert impressions == sum(d.impressions for d in result.days)
    for day in result.days:
        row = day.as_row()
        for rate in ("play_rate", "long_view_rate", "like_rate"):
            assert 0.0 <= row[rate] <= 1.0
        assert 0.0 <= day.oracle_ndcg <= 1.0
        assert 0 < day.dau <= config.run.users


def test_oracle_beats_random_on_oracle_ndcg_and_watch_time(clean_env: Path) -> None:
    oracle = run_arm(small_config(policy="oracle", ads=False), clean_env / "o")
    random = run_arm(small_config(policy="random", ads=False), clean_env / "r")
    assert oracle.days[-1].oracle_ndcg > 0.95
    assert oracle.days[-1].oracle_ndcg > random.days[-1].oracle_ndcg + 0.2
    assert oracle.totals.watch_ms.sum() > random.totals.watch_ms.sum()


def test_feed_policy_without_a_feed_service_says_so(clean_env: Path) -> None:
    config = small_config(policy="feed")

    class NoFeed:
        def __init__(self, inner: object) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> object:
            if name == "feed":
                raise AttributeError(name)
            return getattr(self._inner, name)

    services = default_services(clean_env / "f", ManualClock(start_ms_of(config)))
    try:
        with pytest.raises(InvalidInput) as err:
            Simulation(config, NoFeed(services)).run()
    finally:
        services.close()
    assert err.value.field == "run.policy"


@pytest.mark.slow
def test_feed_runs_are_reproducible(clean_env: Path) -> None:
    """Through the real feed (nightly training included) the same seed gives the same run."""
    config = small_config(policy="feed", days=3, users=80)
    a = run_arm(config, clean_env / "a")
    b = run_arm(config, clean_env / "b")
    assert [d.as_row() for d in a.days] == [d.as_row() for d in b.days]
    assert a.days[-1].nightly.get("feed_version")
