"""Rows grouped by user as one padded matrix, so per-user ranking is one numpy call.

The blend's gate ranks a thousand users' candidate pages for every blend it tries; a Python
loop per user and blend cost more than the pages' predictions. Here a users x width matrix
holds each user's row numbers in their original order (-1 past the user's last row), and
percentiles, top-k and NDCG run along its rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UserRows:
    """Row numbers by user: ``index[u, j]`` is the ``j``-th row of user ``users[u]``, -1 past
    its last."""

    index: np.ndarray
    users: np.ndarray

    @classmethod
    def of(cls, users: np.ndarray) -> UserRows:
        """Group the rows of ``users`` (one user id per row) by user, ids ascending, each
        user's rows in their original order."""
        users = np.asarray(users)
        order = np.argsort(users, kind="stable")
        ordered = users[order]
        starts = np.flatnonzero(np.r_[len(users) > 0, ordered[1:] != ordered[:-1]])
        sizes = np.diff(np.r_[starts, len(users)]).astype(np.int64)
        index = np.full((len(sizes), int(sizes.max()) if len(sizes) else 0), -1, np.int64)
        column = np.arange(len(users)) - np.repeat(starts, sizes)
        index[np.repeat(np.arange(len(sizes)), sizes), column] = order
        return cls(index, ordered[starts])

    @property
    def valid(self) -> np.ndarray:
        """Cells that hold a row."""
        return self.index >= 0

    def gather(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """``values`` (one per row) laid out as the matrix, ``fill`` past each user's rows."""
        out = np.asarray(values)[np.maximum(self.index, 0)].astype(np.float64)
        out[~self.valid] = fill
        return out


def row_percentiles(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per matrix row, each valid cell's rank among the row's valid cells scaled to (0, 1];
    ties share their mean rank; invalid cells get 0."""
    shape = values.shape
    keyed = np.where(valid, values, np.inf)  # invalid cells sort after every value
    order = np.argsort(keyed, axis=1, kind="stable")
    ordered = np.take_along_axis(keyed, order, axis=1)
    position = np.broadcast_to(np.arange(1, shape[1] + 1, dtype=np.float64), shape)
    starts = np.ones(shape, bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    ends = np.ones(shape, bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, position, 0.0), axis=1)
    last = np.minimum.accumulate(np.where(ends, position, np.inf)[:, ::-1], axis=1)[:, ::-1]
    counts = np.maximum(valid.sum(axis=1, keepdims=True), 1)
    out = np.empty(shape, np.float64)
    np.put_along_axis(out, order, (first + last) / 2.0 / counts, axis=1)
    out[~valid] = 0.0
    return out


def row_top(scores: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Column numbers of each row's ``k`` best valid cells, best first (ties: the earlier
    column), -1 where a row has fewer than ``k`` valid cells."""
    keyed = np.where(valid, -np.asarray(scores, np.float64), np.inf)
    top = np.argsort(keyed, axis=1, kind="stable")[:, :k]
    return np.where(np.take_along_axis(valid, top, axis=1), top, -1)


def row_ndcg(
    relevant: np.ndarray, ranked: np.ndarray, relevant_counts: np.ndarray, depth: int
) -> np.ndarray:
    """NDCG@``depth`` of each row with a relevant item: ``relevant`` the matrix's relevance,
    ``ranked`` each row's columns best first (-1: none), ``relevant_counts`` each row's
    relevant items in all (the ideal page, whether or not ``ranked`` reaches them)."""
    discounts = 1.0 / np.log2(np.arange(2, depth + 2))
    columns = ranked[:, :depth]
    gains = np.take_along_axis(relevant, np.maximum(columns, 0), axis=1) & (columns >= 0)
    dcg = (gains * discounts[: columns.shape[1]]).sum(axis=1)
    ideal = np.r_[0.0, np.cumsum(discounts)][np.minimum(relevant_counts, depth)]
    judged = relevant_counts > 0
    return dcg[judged] / ideal[judged]
