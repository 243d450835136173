"""Simple recommenders every ``laotie evaluate`` runs beside the pipeline.

``popular`` (count of positives), ``als_plain`` (implicit ALS on a 0/1 matrix of every
training interaction, implicit's defaults but 64 factors and 20 sweeps: what a first try with
the library gives) and ``ease`` (Steck, "Embarrassingly Shallow Autoencoders for Sparse
Data", WWW 2019: a closed-form ridge regression of each item on all others over the
item-item Gram matrix, solved by the ``ease`` source's ``ease_weights``). They score whole
catalogs: fine for evaluation, not for serving.
"""

from __future__ import annotations

import numpy as np
from implicit.cpu.als import AlternatingLeastSquares
from scipy import sparse
from threadpoolctl import threadpool_limits

from laotie.core.errors import InvalidInput
from laotie.feed.sources.ease import ease_weights

#: EASE inverts an items x items matrix: beyond this many items it is skipped
EASE_MAX_ITEMS = 12_000
#: EASE's L2 penalty (Steck's value for MovieLens-20M is 500; small logs want less)
EASE_L2 = 200.0


def binary_matrix(
    users: np.ndarray, items: np.ndarray, shape: tuple[int, int]
) -> sparse.csr_matrix:
    """A users x items 0/1 float32 CSR of the (user, item) pairs."""
    data = np.ones(len(users), np.float32)
    matrix = sparse.csr_matrix((data, (users, items)), shape=shape)
    matrix.data[:] = 1.0  # duplicate pairs count once
    return matrix


class PlainAls:
    """Implicit ALS on a 0/1 matrix; ``scores(user)`` over the whole catalog."""

    def __init__(self, *, factors: int = 64, iterations: int = 20, seed: int = 0) -> None:
        self.factors = factors
        self.iterations = iterations
        self.seed = seed

    def fit(self, matrix: sparse.csr_matrix) -> PlainAls:
        """Factorise ``matrix`` (users x items, 0/1)."""
        model = AlternatingLeastSquares(
            factors=self.factors,
            iterations=self.iterations,
            num_threads=1,
            random_state=self.seed,
            calculate_training_loss=False,
        )
        with threadpool_limits(1, "blas"):
            model.fit(matrix, show_progress=False)
        self.users_ = np.asarray(model.user_factors, np.float32)
        self.items_ = np.asarray(model.item_factors, np.float32)
        return self

    def scores(self, user: int) -> np.ndarray:
        """Score of every item for ``user`` (zeros for an unknown user)."""
        if not 0 <= user < len(self.users_):
            return np.zeros(len(self.items_), np.float32)
        return self.items_ @ self.users_[user]


class Ease:
    """EASE item-item regression; ``scores(user)`` = the user's row times ``B``."""

    def __init__(self, *, l2: float = EASE_L2) -> None:
        if l2 <= 0:
            raise InvalidInput(
                f"EASE needs a positive L2 penalty, got {l2}", field="l2", limit="> 0"
            )
        self.l2 = l2

    def fit(self, matrix: sparse.csr_matrix) -> Ease:
        """Solve ``B`` on ``matrix`` (users x items, 0/1); ``InvalidInput`` beyond
        ``EASE_MAX_ITEMS`` items."""
        n_items = matrix.shape[1]
        if n_items > EASE_MAX_ITEMS:
            raise InvalidInput(
                f"EASE inverts an items x items matrix: {n_items:,} items is too many",
                field="items",
                limit=f"<= {EASE_MAX_ITEMS:,}",
            )
        self.weights_ = ease_weights(matrix, self.l2)
        self.matrix_ = matrix
        return self

    def scores(self, user: int) -> np.ndarray:
        """Score of every item for ``user``."""
        if not 0 <= user < self.matrix_.shape[0]:
            return np.zeros(self.weights_.shape[0], np.float32)
        row = self.matrix_[user]
        return np.asarray(row @ self.weights_).ravel()


def top_unseen(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` best-scored ids where ``allowed``, best first."""
    pool = np.flatnonzero(allowed)
    if not len(pool):
        return pool
    values = scores[pool]
    take = min(k, len(pool))
    part = np.argpartition(-values, take - 1)[:take]
    return pool[part[np.argsort(-values[part], kind="stable")]]
