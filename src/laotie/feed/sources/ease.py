"""``ease``: EASE item-to-item regression (Steck, WWW 2019) over the most-played items.

``B = I - P · diag(1/diag(P))`` with ``P = (XᵀX + λI)⁻¹`` over a 0/1 users x items matrix of
plays (a rating counts as a play). Each item keeps its ``neighbours`` largest positive
weights, so a user's score is a sparse sum over the rows of their history: the stored
training history and the recent positives the event log adds after training. On sparse
rating logs it is the strongest simple recommender (see docs/feed.md, Evaluation); the
inversion is cubic in ``max_items``, so the least-played items beyond it are not modelled.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import polars as pl
from scipy import sparse

from laotie.feed.sources.base import Source, TrainingSet, top_n


def _csr(rows: np.ndarray, values: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, values) of ``values`` grouped by ``rows`` (sorted by row, stable)."""
    order = np.argsort(rows, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))]).astype(np.int64)
    return ptr, values[order]


class EaseSource(Source):
    """Sum of the EASE weights from the user's played items."""

    name = "ease"
    learned = ("ptr_", "neighbours_", "weights_", "user_ptr_", "user_items_")

    def __init__(self, *, l2: float = 200.0, max_items: int = 3000, neighbours: int = 200) -> None:
        self.l2 = l2
        self.max_items = max_items
        self.neighbours = neighbours

    def fit(self, training: TrainingSet) -> Self:
        """Solve EASE over the ``max_items`` most-played items and store each user's plays."""
        size, n_users = training.catalog.size, training.n_users
        played = training.pairs.filter(pl.col("play") & (pl.col("item_id") < size))
        users = played["user_id"].to_numpy().astype(np.int64)
        items = played["item_id"].to_numpy().astype(np.int64)
        self.user_ptr_, self.user_items_ = _csr(users, items, n_users)
        counts = np.bincount(items, minlength=size)
        modelled = np.argsort(-counts, kind="stable")[: self.max_items]
        modelled = np.sort(modelled[counts[modelled] > 0])
        column = np.full(size, -1, np.int64)
        column[modelled] = np.arange(len(modelled))
        keep = column[items] >= 0
        x = sparse.csr_matrix(
            (np.ones(int(keep.sum()), np.float64), (users[keep], column[items[keep]])),
            shape=(n_users, len(modelled)),
        )
        gram = (x.T @ x).toarray()
        gram[np.diag_indices(len(modelled))] += self.l2
        precision = np.linalg.inv(gram) if len(modelled) else gram
        weights = (-precision / np.diag(precision)).astype(np.float32) if len(modelled) else gram
        np.fill_diagonal(weights, 0.0)
        take = min(self.neighbours, max(len(modelled) - 1, 0))
        rows, cols, vals = [], [], []
        if take:
            best = np.argpartition(-weights, take - 1, axis=1)[:, :take]
            top = np.take_along_axis(weights, best, axis=1)
            positive = top > 0
            rows = np.repeat(modelled, positive.sum(axis=1))
            cols = modelled[best[positive]]
            vals = top[positive]
        self.ptr_, packed = _csr(
            np.asarray(rows, np.int64),
            np.stack([np.asarray(cols, np.float64), np.asarray(vals, np.float64)], axis=1),
            size,
        )
        self.neighbours_ = packed[:, 0].astype(np.int64) if len(packed) else np.empty(0, np.int64)
        self.weights_ = packed[:, 1].astype(np.float32) if len(packed) else np.empty(0, np.float32)
        return self

    def history(self, user_id: int) -> np.ndarray:
        """The user's played items: the training history and recent positives since."""
        stored = (
            self.user_items_[self.user_ptr_[user_id] : self.user_ptr_[user_id + 1]]
            if 0 <= user_id < len(self.user_ptr_) - 1
            else np.empty(0, np.int64)
        )
        recent = self.state.recent_positives(user_id) if self.state is not None else ()
        return np.union1d(stored, np.asarray(recent, np.int64))

    def user_scores(self, user_id: int) -> np.ndarray:
        """EASE score of every item id for ``user_id`` (zeros without a history)."""
        size = len(self.ptr_) - 1
        seeds = self.history(user_id)
        seeds = seeds[seeds < size]
        if not len(seeds):
            return np.zeros(size, np.float32)
        starts, ends = self.ptr_[seeds], self.ptr_[seeds + 1]
        lengths = ends - starts
        index = np.repeat(ends - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
        return np.bincount(
            self.neighbours_[index], weights=self.weights_[index], minlength=size
        ).astype(np.float32)

    def pair_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """EASE score of each (user, item) row."""
        users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
        out = np.zeros(len(items), np.float32)
        order = np.argsort(users, kind="stable")
        bounds = np.flatnonzero(np.diff(users[order])) + 1
        size = len(self.ptr_) - 1
        for rows in np.split(order, bounds):
            if len(rows):
                scores = self.user_scores(int(users[rows[0]]))
                inside = items[rows] < size
                out[rows[inside]] = scores[items[rows][inside]]
        return out

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best-scored items outside the user's history."""
        scores = self.user_scores(user_id)
        history = self.history(user_id)
        scores[history[history < len(scores)]] = 0.0
        ids = np.flatnonzero(scores > 0)
        return top_n(ids, scores[ids], n)
