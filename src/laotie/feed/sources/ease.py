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
from scipy.linalg import lapack
from threadpoolctl import threadpool_limits

from laotie.feed.sources.base import Source, TrainingSet, empty_result, top_n

#: users scored per sparse product in ``EaseSource.recommend``
_CHUNK = 512


def _csr(rows: np.ndarray, values: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, values) of ``values`` grouped by ``rows`` (sorted by row, stable)."""
    order = np.argsort(rows, kind="stable")
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))]).astype(np.int64)
    return ptr, values[order]


def _gram(matrix: sparse.spmatrix, l2: float) -> np.ndarray:
    """``XᵀX + λI`` (float64, dense) of a users x items ``matrix``."""
    gram = (matrix.T @ matrix).toarray().astype(np.float64)
    gram[np.diag_indices(gram.shape[0])] += l2
    return gram


def _precision(matrix: sparse.spmatrix, l2: float) -> np.ndarray:
    """``P = (XᵀX + λI)⁻¹`` from the Cholesky factor (LAPACK ``potrf`` + ``potri``, a third
    of the work of a general inverse), in place; the general inverse where the matrix is
    numerically not positive definite (a tiny ``l2``)."""
    gram = _gram(matrix, l2)
    n_items = gram.shape[0]
    # gram is symmetric: its transpose is the Fortran-ordered array LAPACK works on in place
    factor, info = lapack.dpotrf(gram.T, lower=False, overwrite_a=True)
    if info:
        return np.linalg.inv(_gram(matrix, l2))
    precision, info = lapack.dpotri(factor, lower=False, overwrite_c=True)
    if info:
        return np.linalg.inv(_gram(matrix, l2))
    for start in range(0, n_items, _CHUNK):  # potri fills the upper triangle: mirror it
        end = min(start + _CHUNK, n_items)
        block = precision[start:end, start:end]
        precision[start:end, start:end] = np.triu(block) + np.triu(block, 1).T
        precision[start:end, :start] = precision[:start, start:end].T
    return precision


def ease_weights(matrix: sparse.spmatrix, l2: float) -> np.ndarray:
    """EASE's item-item weights ``B`` (float32, zero diagonal) of a users x items 0/1
    ``matrix``: ``B = I - P · diag(1/diag(P))`` with ``P = (XᵀX + λI)⁻¹``.

    On one BLAS thread: training solves it beside the ALS and LightGBM fits, where a second
    BLAS thread only takes turns with them."""
    if not matrix.shape[1]:
        return np.zeros((0, 0), np.float32)
    with threadpool_limits(1, "blas"):
        precision = _precision(matrix, l2)
    precision /= -np.diag(precision).copy()
    weights = precision.astype(np.float32)
    np.fill_diagonal(weights, 0.0)
    return weights


class EaseSource(Source):
    """Sum of the EASE weights from the user's played items."""

    name = "ease"
    learned = ("modelled_", "ptr_", "neighbours_", "weights_", "user_ptr_", "user_items_")

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
        self.modelled_ = modelled.astype(np.int64)
        column = np.full(size, -1, np.int64)
        column[modelled] = np.arange(len(modelled))
        keep = column[items] >= 0
        x = sparse.csr_matrix(
            (np.ones(int(keep.sum()), np.float64), (users[keep], column[items[keep]])),
            shape=(n_users, len(modelled)),
        )
        weights = ease_weights(x, self.l2)
        take = min(self.neighbours, max(len(modelled) - 1, 0))
        rows = np.empty(0, np.int64)
        cols = np.empty(0, np.int64)
        vals = np.empty(0, np.float32)
        if take:
            best = np.argpartition(-weights, take - 1, axis=1)[:, :take]
            top = np.take_along_axis(weights, best, axis=1)
            positive = top > 0
            rows = np.repeat(np.arange(len(modelled)), positive.sum(axis=1))
            cols, vals = best[positive].astype(np.int64), top[positive].astype(np.float32)
        # rows and neighbours are positions in ``modelled_``: a user's scores are one
        # ``max_items``-long sum, whatever the catalog's size
        self.ptr_, self.neighbours_ = _csr(rows, cols, len(modelled))
        _, self.weights_ = _csr(rows, vals, len(modelled))
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

    def _positions(self, items: np.ndarray) -> np.ndarray:
        """Position of each item in ``modelled_`` (-1 for an item not modelled)."""
        items = np.asarray(items, np.int64)
        if not len(self.modelled_):
            return np.full(len(items), -1, np.int64)
        at = np.minimum(np.searchsorted(self.modelled_, items), len(self.modelled_) - 1)
        return np.where(self.modelled_[at] == items, at, -1)

    def modelled_scores(self, user_id: int) -> np.ndarray:
        """EASE score of each modelled item (``modelled_`` order) for ``user_id``."""
        seeds = self._positions(self.history(user_id))
        seeds = seeds[seeds >= 0]
        if not len(seeds):
            return np.zeros(len(self.modelled_), np.float32)
        starts, ends = self.ptr_[seeds], self.ptr_[seeds + 1]
        lengths = ends - starts
        index = np.repeat(ends - np.cumsum(lengths), lengths) + np.arange(lengths.sum())
        return np.bincount(
            self.neighbours_[index], weights=self.weights_[index], minlength=len(self.modelled_)
        ).astype(np.float32)

    def scores_of(self, user_id: int, items: np.ndarray) -> np.ndarray:
        """EASE score of each of ``items`` for ``user_id`` (0 for an item not modelled)."""
        positions = self._positions(items)
        scores = self.modelled_scores(user_id)
        return np.where(positions >= 0, scores[np.maximum(positions, 0)], 0.0).astype(np.float32)

    def pair_scores(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """EASE score of each (user, item) row."""
        users, items = np.asarray(users, np.int64), np.asarray(items, np.int64)
        out = np.zeros(len(items), np.float32)
        order = np.argsort(users, kind="stable")
        for rows in np.split(order, np.flatnonzero(np.diff(users[order])) + 1):
            if len(rows):
                out[rows] = self.scores_of(int(users[rows[0]]), items[rows])
        return out

    def recommend(self, user_ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``recommend_one`` of many users at once: one sparse product per chunk of users."""
        user_ids = np.asarray(user_ids, dtype=np.int64).reshape(-1)
        ids, scores = empty_result(len(user_ids), n)
        width = len(self.modelled_)
        if not width or not len(user_ids) or not n:
            return ids, scores
        weights = sparse.csr_matrix(
            (self.weights_, self.neighbours_, self.ptr_), shape=(width, width)
        )
        k = min(n, width)
        for start in range(0, len(user_ids), _CHUNK):
            chunk = user_ids[start : start + _CHUNK]
            seeds = [self._positions(self.history(int(user))) for user in chunk]
            rows = np.repeat(np.arange(len(chunk)), [len(s) for s in seeds])
            cols = np.concatenate(seeds) if seeds else np.empty(0, np.int64)
            rows, cols = rows[cols >= 0], cols[cols >= 0]
            history = sparse.csr_matrix(
                (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(chunk), width)
            )
            dense = np.asarray((history @ weights).todense(), np.float32)
            dense[rows, cols] = 0.0
            best = np.argpartition(-dense, k - 1, axis=1)[:, :k]
            top = np.take_along_axis(dense, best, axis=1)
            order = np.argsort(-top, axis=1, kind="stable")
            best, top = np.take_along_axis(best, order, 1), np.take_along_axis(top, order, 1)
            found = top > 0
            ids[start : start + len(chunk), :k] = np.where(found, self.modelled_[best], -1)
            scores[start : start + len(chunk), :k] = np.where(found, top, -np.inf)
        return ids, scores

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``n`` best-scored items outside the user's history."""
        scores = self.modelled_scores(user_id)
        history = self._positions(self.history(user_id))
        scores[history[history >= 0]] = 0.0
        keep = np.flatnonzero(scores > 0)
        return top_n(self.modelled_[keep], scores[keep], n)
