"""The watch rules against KuaiRand's documented labels, in every form they take."""

from __future__ import annotations

import sqlite3

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from laotie.core.watch import (
    LONG_VIEW,
    VALID_PLAY,
    WATCH_RATIO_CAP,
    WatchRule,
    is_long_view,
    is_valid_play,
    long_view_expr,
    passes,
    passes_array,
    passes_expr,
    passes_sql,
    valid_play_expr,
    watch_weight,
    watch_weight_expr,
)

# (watch_ms, duration_ms, valid play, long view), read off the KuaiRand README:
# is_click: play >= duration if duration <= 7 s, else play > 7 s;
# long_view: play >= duration if duration <= 18 s, else play >= 18 s.
KUAIRAND_CASES = [
    (7_000, 7_000, True, True),  # a 7 s item watched to the end
    (6_999, 7_000, False, False),
    (7_000, 30_000, False, False),  # exactly 7 s of a long item is not a valid play
    (7_001, 30_000, True, False),
    (18_000, 18_000, True, True),  # an 18 s item watched to the end
    (17_999, 18_000, True, False),
    (18_000, 60_000, True, True),  # exactly 18 s of a long item is a long view
    (17_999, 60_000, True, False),
    (5_000, 5_000, True, True),  # play = duration on a short item
    (12_000, 12_000, True, True),
    (30_000, 30_000, True, True),
    (0, 5_000, False, False),
    (9_000, 5_000, True, True),  # replays: watch beyond the duration
]


@pytest.mark.parametrize(("watch", "duration", "valid", "long"), KUAIRAND_CASES)
def test_scalar_rules_follow_kuairands_readme(watch, duration, valid, long) -> None:
    assert is_valid_play(watch, duration) is valid
    assert is_long_view(watch, duration) is long


def test_unknown_duration_is_judged_by_the_threshold_alone() -> None:
    assert not is_valid_play(7_000, None) and is_valid_play(7_001, 0)
    assert is_long_view(18_000, None) and not is_long_view(17_999, 0)
    assert not is_valid_play(None, None) and not is_long_view(None, 10_000)


def test_a_configured_threshold_moves_the_boundary_only() -> None:
    assert is_long_view(10_000, 60_000, threshold_ms=10_000)
    assert not is_long_view(9_999, 60_000, threshold_ms=10_000)
    assert LONG_VIEW.with_threshold(5).strict is LONG_VIEW.strict


def _sql(rule: WatchRule, watch: list[int | None], duration: list[int | None]) -> list[bool]:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE TABLE w (watch_ms INTEGER, duration_ms INTEGER, i INTEGER)")
    con.executemany(
        "INSERT INTO w VALUES (?, ?, ?)", zip(watch, duration, range(len(watch)), strict=True)
    )
    rows = con.execute(f"SELECT {passes_sql(rule)} FROM w ORDER BY i").fetchall()
    return [bool(r[0]) for r in rows]


times = st.one_of(st.none(), st.integers(0, 70_000), st.sampled_from([7_000, 7_001, 18_000]))


@given(pairs=st.lists(st.tuples(times, times), min_size=1, max_size=40))
def test_numpy_polars_and_sql_forms_agree_with_the_scalar_rule(pairs) -> None:
    watch = [w for w, _ in pairs]
    duration = [d for _, d in pairs]
    frame = pl.DataFrame({"watch_ms": watch, "duration_ms": duration}, schema=[
        ("watch_ms", pl.Int64), ("duration_ms", pl.Int64)])  # fmt: skip
    for rule in (VALID_PLAY, LONG_VIEW):
        expected = [passes(rule, w, d) for w, d in pairs]
        assert frame.select(passes_expr(rule)).to_series().to_list() == expected
        assert _sql(rule, watch, duration) == expected
        known = [(w or 0, d if d is not None else 0) for w, d in pairs]
        arrays = np.array(known, dtype=np.int64).T
        assert passes_array(rule, arrays[0], arrays[1]).tolist() == expected
    assert frame.select(valid_play_expr()).to_series().to_list() == [
        is_valid_play(w, d) for w, d in pairs
    ]
    assert frame.select(long_view_expr()).to_series().to_list() == [
        is_long_view(w, d) for w, d in pairs
    ]


def test_watch_weight_glance_full_watch_and_cap() -> None:
    assert watch_weight(0, 10_000) == pytest.approx(-0.5)
    assert watch_weight(10_000, 10_000) == pytest.approx(1.5)
    assert watch_weight(100_000, 10_000) == pytest.approx(2.0 * WATCH_RATIO_CAP - 0.5)
    assert watch_weight(None, None) == pytest.approx(-0.5)
    frame = pl.DataFrame({"watch_ms": [0, 5_000, 100_000, None], "duration_ms": [10_000] * 3 + [0]})
    weights = frame.select(watch_weight_expr()).to_series().to_list()
    assert weights == pytest.approx([watch_weight(w, d) for w, d in frame.iter_rows()])
