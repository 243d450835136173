"""Every place that decides a long view or a valid play agrees on the boundary cases.

KPIs (``insights.kpi_table``), the feed's training labels (``signals.interactions``), the
KuaiRec importer (which derives ``play`` events from watch times) and the simulator
(``PageOutcome``) are each run on the same watches, chosen at KuaiRand's boundaries: items of
7 s and 18 s, play time equal to the duration, and long items watched exactly 7 s and 18 s.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

from laotie.core.watch import is_long_view, is_valid_play
from laotie.feed.signals import interactions, normalize_events
from laotie.insights import kpi_table
from laotie.sim.behaviour import PageOutcome
from laotie.store.importers import kuairec

#: (watch_ms, duration_ms): boundary watches of 7 s and 18 s items and of long items
CASES = [
    (7_000, 7_000),
    (6_999, 7_000),
    (18_000, 18_000),
    (17_999, 18_000),
    (12_345, 12_345),
    (40_000, 40_000),
    (7_000, 60_000),
    (7_001, 60_000),
    (18_000, 60_000),
    (17_999, 60_000),
    (18_001, 60_000),
    (3_000, 2_000),
]
DAY0 = date(2026, 3, 2)
#: 2026-03-02 12:00 Asia/Shanghai, in epoch ms
NOON_MS = 1_772_424_000_000
DAY_MS = 86_400_000


def _events() -> pl.DataFrame:
    """One impression + watch per case, case ``i`` by user ``i`` on item ``i`` on day ``i``."""
    rows = []
    for i, (watch, duration) in enumerate(CASES):
        ts = NOON_MS + i * DAY_MS
        rows.append(("impression", i + 1, i + 1, ts, None, None))
        rows.append(("watch", i + 1, i + 1, ts + 1, watch, duration))
    return pl.DataFrame(
        rows,
        schema=[("type", pl.String), ("user_id", pl.Int64), ("item_id", pl.Int64),
                ("ts_ms", pl.Int64), ("watch_ms", pl.Int64), ("duration_ms", pl.Int64)],
        orient="row",
    ).with_columns(pl.lit(None, pl.Int64).alias("amount_fen"))  # fmt: skip


def _items() -> pl.DataFrame:
    n = len(CASES)
    return pl.DataFrame(
        {
            "id": range(1, n + 1),
            "kind": ["video"] * n,
            "creator_id": [1] * n,
            "created_at_ms": [0] * n,
            "aigc_status": ["none"] * n,
        }
    )


def test_expected_flags_are_kuairands() -> None:
    long = [is_long_view(w, d) for w, d in CASES]
    valid = [is_valid_play(w, d) for w, d in CASES]
    assert long == [True, False, True, False, True, True, False, False, True, False, True, True]
    assert valid == [True, False, True, True, True, True, False, True, True, True, True, True]


def test_kpis_count_long_views_by_the_rule() -> None:
    table = kpi_table(_events(), _items(), tz="Asia/Shanghai", by="day")
    by_day = dict(zip(table["period"], table["long_views"], strict=True))
    counted = [by_day[DAY0 + timedelta(days=i)] == 1 for i in range(len(CASES))]
    assert counted == [is_long_view(w, d) for w, d in CASES]


def test_training_labels_mark_long_views_by_the_rule() -> None:
    pairs = interactions(normalize_events(_events())).sort("user_id")
    assert pairs["long_view"].to_list() == [is_long_view(w, d) for w, d in CASES]


def test_kuairec_importer_emits_plays_by_the_rule(tmp_path) -> None:
    lines = ["user_id,video_id,play_duration,video_duration,time,date,timestamp,watch_ratio"]
    for i, (watch, duration) in enumerate(CASES):
        lines.append(f"{i},{i},{watch},{duration},,20200705,{1_593_898_000 + i},{watch / duration}")
    (tmp_path / "small_matrix.csv").write_text("\n".join(lines) + "\n")
    events = pl.concat(list(kuairec.read_events(tmp_path)))
    played = set(events.filter(pl.col("type") == "play")["item"].to_list())
    emitted = [f"{kuairec.PREFIX}:v{i}" in played for i in range(len(CASES))]
    assert emitted == [is_valid_play(w, d) for w, d in CASES]


def test_simulator_outcomes_follow_the_rule() -> None:
    n = len(CASES)
    watch = np.array([w for w, _ in CASES], dtype=np.int64)
    duration = np.array([d for _, d in CASES], dtype=np.int64)
    flags = np.zeros(n, dtype=bool)
    outcome = PageOutcome(
        items=np.arange(n), positions=np.arange(n), engaged=~flags, watch_ms=watch,
        completed=watch >= duration, like=flags, follow=flags, share=flags, comment=flags,
        hate=flags, spotted_unlabelled=flags, satisfaction=np.zeros(n), left=False,
    )  # fmt: skip
    assert outcome.valid_play(duration).tolist() == [is_valid_play(w, d) for w, d in CASES]
    assert outcome.long_view(duration).tolist() == [is_long_view(w, d) for w, d in CASES]
