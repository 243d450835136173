"""``als``: implicit ALS on weighted implicit feedback; user vector -> IVF ANN over items."""

from __future__ import annotations

from typing import Self

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from scipy import sparse
from threadpoolctl import threadpool_limits

from laotie.feed.ann import AnnIndex
from laotie.feed.sources.base import Source, TrainingSet, empty_result


class AlsSource(Source):
    """Matrix factorisation (implicit's ALS, conjugate gradient) served through an ANN index.

    Negative weights (hate, report, early skips) are negative preferences with confidence
    ``alpha * |weight|``, as implicit interprets them.
    """

    name = "als"
    #: the item vectors are not saved: the IVF-Flat index holds them exactly (half the file)
    learned = ("user_factors_", "item_count_", "index_items_", "index_blob_")

    def __init__(
        self,
        *,
        factors: int = 64,
        regularization: float = 0.05,
        alpha: float = 2.0,
        iterations: int = 12,
        ann_lists: int = 0,
        ann_probes: int = 48,
        num_threads: int = 0,
        random_state: int = 0,
    ) -> None:
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.ann_lists = ann_lists
        self.ann_probes = ann_probes
        self.num_threads = num_threads
        self.random_state = random_state

    def model(self) -> AlternatingLeastSquares:
        """A fresh implicit ALS model with these hyperparameters."""
        return AlternatingLeastSquares(
            factors=self.factors,
            regularization=self.regularization,
            alpha=self.alpha,
            iterations=self.iterations,
            num_threads=self.num_threads,
            random_state=self.random_state,
            calculate_training_loss=False,
        )

    def fit(self, training: TrainingSet) -> Self:
        """Factorise the training matrix and index the items that have data."""
        return self.factorise(training.matrix()).build_index(training.matrix())

    def factorise(self, matrix: sparse.csr_matrix) -> Self:
        """Fit user and item vectors on ``matrix`` (users x items weights)."""
        with threadpool_limits(1, "blas"):
            model = self.model()
            model.fit(matrix, show_progress=False)
        return self.adopt(model.user_factors, model.item_factors, matrix)

    def adopt(
        self, user_factors: np.ndarray, item_factors: np.ndarray, matrix: sparse.csr_matrix
    ) -> Self:
        """Take user and item vectors fitted on ``matrix`` elsewhere (``factorise``, or a
        distributed engine) as if this source had fitted them, so ``extend`` can go on."""
        model = self.model()
        model.user_factors = np.ascontiguousarray(user_factors, dtype=np.float32)
        model.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self._model = model
        self.user_factors_ = np.array(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.array(model.item_factors, dtype=np.float32)
        self.item_factors_[~_items_with_data(matrix)] = 0.0
        return self

    def extend(self, matrix: sparse.csr_matrix, fitted_on: sparse.csr_matrix) -> Self:
        """Bring vectors up to ``matrix`` (a later window than ``fitted_on``) without a refit:
        re-solve the users whose rows changed, and solve items that had no data in
        ``fitted_on`` (a user with nothing new keeps the vector the fit left)."""
        model = self._model
        with threadpool_limits(1, "blas"):
            changed = _changed_rows(matrix, fitted_on)
            if len(changed):
                model.partial_fit_users(changed, matrix[changed])
            had, has = _items_with_data(fitted_on), _items_with_data(matrix)
            new_items = np.flatnonzero(has & ~had[: len(has)] if len(had) >= len(has) else has)
            if len(new_items):
                model.partial_fit_items(new_items, matrix.T.tocsr()[new_items])
        self.user_factors_ = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors_ = np.asarray(model.item_factors, dtype=np.float32)
        self.item_factors_[~has] = 0.0
        return self

    def build_index(self, matrix: sparse.csr_matrix) -> Self:
        """Index the vectors of the items that have data in ``matrix``."""
        self.index_items_ = np.flatnonzero(_items_with_data(matrix)).astype(np.int64)
        index = AnnIndex(lists=self.ann_lists, probes=self.ann_probes, seed=self.random_state)
        self._index = index.build(
            self.item_factors_[self.index_items_], self.index_items_, threads=self.num_threads
        )
        self.index_blob_ = self._index.to_bytes()
        self.item_count_ = np.array(len(self.item_factors_))
        return self

    def loaded(self) -> None:
        """Deserialise the ANN index and take the item vectors back out of it."""
        self._index = AnnIndex.from_bytes(
            self.index_blob_, self.index_items_, probes=self.ann_probes
        )
        vectors = self._index.vectors()
        self.item_factors_ = np.zeros((int(self.item_count_), vectors.shape[1]), np.float32)
        self.item_factors_[self.index_items_] = vectors

    def user_vectors(self, user_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Vectors of ``user_ids`` and a mask of users the model knows."""
        user_ids = np.asarray(user_ids, dtype=np.int64)
        known = (user_ids >= 0) & (user_ids < len(self.user_factors_))
        vectors = np.zeros((len(user_ids), self.item_factors_.shape[1]), np.float32)
        vectors[known] = self.user_factors_[user_ids[known]]
        known &= np.any(vectors != 0, axis=1)
        return vectors, known

    def recommend(self, user_ids: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """ANN top-``n`` by inner product, batched; unknown users get padding."""
        user_ids = np.asarray(user_ids, dtype=np.int64).reshape(-1)
        ids, scores = empty_result(len(user_ids), n)
        vectors, known = self.user_vectors(user_ids)
        if known.any():
            ids[known], scores[known] = self._index.search(vectors[known], n)
        return ids, scores

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``recommend`` for one user."""
        ids, scores = self.recommend(np.array([user_id]), n)
        return ids[0], scores[0]

    def affinity(self, user_id: int, item_ids: np.ndarray) -> np.ndarray:
        """Inner product of the user's and each item's vector (0 for unknown either)."""
        items = np.asarray(item_ids, dtype=np.int64)
        out = np.zeros(len(items), np.float32)
        if not 0 <= user_id < len(self.user_factors_):
            return out
        inside = items < len(self.item_factors_)
        out[inside] = self.item_factors_[items[inside]] @ self.user_factors_[user_id]
        return out

    def pair_affinity(self, user_ids: np.ndarray, item_ids: np.ndarray) -> np.ndarray:
        """Row-wise inner products for (user, item) pairs (0 where either is unknown)."""
        users, items = np.asarray(user_ids), np.asarray(item_ids)
        ok = np.flatnonzero((users < len(self.user_factors_)) & (items < len(self.item_factors_)))
        out = np.zeros(len(users), np.float32)
        for start in range(0, len(ok), 32_768):  # chunks that stay in cache
            rows = ok[start : start + 32_768]
            out[rows] = np.einsum(
                "ij,ij->i", self.user_factors_[users[rows]], self.item_factors_[items[rows]]
            )
        return out


def _changed_rows(later: sparse.csr_matrix, earlier: sparse.csr_matrix) -> np.ndarray:
    """Rows of ``later`` whose entries differ in count or sum from ``earlier``'s (or are new)."""
    rows = later.shape[0]
    count = np.zeros(rows, np.int64)
    total = np.zeros(rows, np.float64)
    shared = min(rows, earlier.shape[0])
    count[:shared] = np.diff(earlier.indptr)[:shared]
    total[:shared] = np.asarray(earlier.sum(axis=1)).ravel()[:shared]
    later_total = np.asarray(later.sum(axis=1)).ravel()
    differs = (np.diff(later.indptr) != count) | ~np.isclose(later_total, total)
    return np.flatnonzero(differs).astype(np.int64)


def _items_with_data(matrix: sparse.csr_matrix) -> np.ndarray:
    """Per column (item) of a users x items matrix: whether any user has an entry there.

    Counted from the CSR column indices: no CSC copy of the matrix."""
    return np.bincount(matrix.indices, minlength=matrix.shape[1]) > 0
