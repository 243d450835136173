"""Per-user ranking on the padded matrix agrees with ranking each user's rows alone."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from laotie.feed.blend import _percentile
from laotie.feed.user_rows import UserRows, row_ndcg, row_percentiles, row_top

_ROWS = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 4)), min_size=1, max_size=80)


@settings(max_examples=60, deadline=None)
@given(_ROWS)
def test_matrix_ranking_matches_each_users_own(rows: list[tuple[int, int]]) -> None:
    users = np.array([u for u, _ in rows])
    values = np.array([v for _, v in rows], np.float64)  # few distinct values: many ties
    by_user = UserRows.of(users)
    ranks = row_percentiles(by_user.gather(values), by_user.valid)
    top = row_top(by_user.gather(values), by_user.valid, 3)
    assert by_user.users.tolist() == np.unique(users).tolist()
    for line, user in enumerate(by_user.users):
        own = np.flatnonzero(users == user)
        assert by_user.index[line, : len(own)].tolist() == own.tolist()
        expected = rankdata(values[own], method="average") / len(own)
        np.testing.assert_allclose(ranks[line, : len(own)], expected)
        np.testing.assert_allclose(_percentile(values[own]), expected, rtol=1e-6)
        best = np.argsort(-values[own], kind="stable")[:3]
        assert top[line, : len(best)].tolist() == best.tolist()
        assert (top[line, len(best) :] == -1).all()


def test_ndcg_counts_relevant_rows_the_ranking_never_reached() -> None:
    relevant = np.array([[True, False, True, False]])
    ranked = np.array([[0, 1, -1, -1]])  # the pre-rank kept two rows; one relevant row lost
    ideal = 1 + 1 / np.log2(3)
    np.testing.assert_allclose(row_ndcg(relevant, ranked, np.array([2]), 10), [1 / ideal])
    assert not len(row_ndcg(relevant, ranked, np.array([0]), 10))
