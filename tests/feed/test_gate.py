"""The blend's gate: candidate pages as serving would build them for held-out users."""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.feed.gate import SERVED_JUDGE_BUCKETS, gate_heads, gate_order, gate_rows, held_out


def _held_out_users(n: int) -> list[int]:
    ids = np.arange(1, 500)
    return [int(u) for u in ids[held_out(ids)][:n]]


def _late(rows: list[tuple[int, int, bool]]) -> pl.DataFrame:
    users, items, positive = zip(*rows, strict=True)
    return pl.DataFrame({"user_id": users, "item_id": items, "positive": positive})


def test_gate_pages_hold_only_listed_untouched_items() -> None:
    a, b = _held_out_users(2)
    lists = {
        "popular": {a: np.array([10, 11, 12, -1]), b: np.array([20, 21])},
        "ease": {a: np.array([12, 13]), b: np.array([22])},
    }
    late = _late([(a, 13, True), (a, 99, True), (b, 98, True), (a + 1, 10, True)])
    touched = pl.DataFrame({"user_id": [a], "item_id": [11]})
    gate = gate_rows(late, lists, touched, ts_ms=5)
    # a: every listed item but the touched one; 99 (liked, never listed) is not a candidate;
    # b liked nothing its sources listed, so it says nothing about a blend and is left out
    assert gate["user_id"].unique().to_list() == [a]
    assert sorted(gate["item_id"].to_list()) == [10, 12, 13]
    assert gate.filter(pl.col("relevant"))["item_id"].to_list() == [13]
    assert set(gate["ts_ms"].to_list()) == {5}
    heads = gate_heads(gate, lists)
    order = np.argsort(gate["item_id"].to_numpy())
    np.testing.assert_allclose(heads["popular"][order], [1.0, 1 / 3, 0.0], rtol=1e-6)


def test_the_gate_takes_the_served_judges_bucket_first_each_bucket_by_id() -> None:
    users = np.arange(1, 300)
    ordered = gate_order(users[::-1])
    assert sorted(ordered.tolist()) == users.tolist()
    judged = held_out(ordered, SERVED_JUDGE_BUCKETS)
    first = int(judged.sum())
    assert first > 0 and judged[:first].all() and not judged[first:].any()
    assert np.all(np.diff(ordered[:first]) > 0)
