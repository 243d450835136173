"""pCTR/pCVR: a logistic response model with empirical-Bayes priors per entity, and metrics.

Features of an (impression, entity) pair: whether the user's interests match the entity's
targeting, the slot position (one-hot), and the entity's smoothed historical rate as a log-odds
offset from the global rate. An entity with no history (a new creative or campaign) gets offset
0, i.e. the global prior; with history its rate is shrunk toward the prior by
``prior_strength`` pseudo-observations. Offsets for training rows are computed out of fold, so
the model does not learn to trust an entity's own label leak.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit
from scipy.stats import rankdata

from laotie.core.errors import ArtefactError, InvalidInput

_EPS = 1e-6


def _smoothed_offsets(
    entity: np.ndarray, outcome: np.ndarray, *, base_rate: float, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    ids, inverse = np.unique(entity, return_inverse=True)
    trials = np.bincount(inverse, minlength=ids.size).astype(float)
    hits = np.bincount(inverse, weights=outcome.astype(float), minlength=ids.size)
    rate = (hits + strength * base_rate) / (trials + strength)
    return ids, logit(np.clip(rate, _EPS, 1 - _EPS)) - logit(base_rate)


def _lookup(ids: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    if ids.size == 0:
        return np.zeros(query.shape)
    pos = np.clip(np.searchsorted(ids, query), 0, ids.size - 1)
    return np.where(ids[pos] == query, values[pos], 0.0)


class ResponseModel:
    """Logistic pCTR (or pCVR) model with priors for unseen entities."""

    def __init__(
        self,
        *,
        prior_strength: float = 100.0,
        l2: float = 1.0,
        n_positions: int = 10,
        n_folds: int = 5,
        random_state: int | None = None,
    ) -> None:
        self.prior_strength = prior_strength
        self.l2 = l2
        self.n_positions = n_positions
        self.n_folds = n_folds
        self.random_state = random_state

    def _design(self, offset: np.ndarray, match: np.ndarray, position: np.ndarray) -> np.ndarray:
        n = offset.shape[0]
        pos = np.clip(np.broadcast_to(position, (n,)).astype(int), 0, self.n_positions - 1)
        onehot = np.zeros((n, self.n_positions - 1))
        rows = np.flatnonzero(pos > 0)
        onehot[rows, pos[rows] - 1] = 1.0
        match_col = np.broadcast_to(match, (n,)).astype(float)[:, None]
        return np.hstack([np.ones((n, 1)), match_col, onehot, offset[:, None]])

    def fit(
        self,
        *,
        entity: np.ndarray,
        match: np.ndarray,
        position: np.ndarray,
        outcome: np.ndarray,
    ) -> ResponseModel:
        """Learn from impressions (pCTR: outcome = clicked) or clicks (pCVR: converted)."""
        entity = np.asarray(entity, dtype=np.int64)
        outcome = np.asarray(outcome, dtype=bool)
        if entity.size == 0:
            raise InvalidInput("no training rows", field="events", limit=">= 1 row")
        self.base_rate_ = float(np.clip(outcome.mean(), 1e-4, 1 - 1e-4))
        rng = np.random.default_rng(self.random_state)
        fold = rng.integers(0, self.n_folds, size=entity.size)
        offset = np.zeros(entity.size)
        for k in range(self.n_folds):
            train, test = fold != k, fold == k
            ids, values = _smoothed_offsets(
                entity[train],
                outcome[train],
                base_rate=self.base_rate_,
                strength=self.prior_strength,
            )
            offset[test] = _lookup(ids, values, entity[test])
        x = self._design(offset, np.asarray(match), np.asarray(position))
        y = outcome.astype(float)
        penalty = np.full(x.shape[1], self.l2)
        penalty[0] = 0.0

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            z = x @ w
            p = expit(z)
            value = np.sum(np.logaddexp(0, z) - y * z) + 0.5 * np.sum(penalty * w * w)
            return float(value), x.T @ (p - y) + penalty * w

        start = np.zeros(x.shape[1])
        start[0] = logit(self.base_rate_)
        start[-1] = 1.0
        result = minimize(loss, start, jac=True, method="L-BFGS-B")
        self.coef_ = result.x
        self.entity_ids_, self.entity_offsets_ = _smoothed_offsets(
            entity, outcome, base_rate=self.base_rate_, strength=self.prior_strength
        )
        return self

    def offsets(self, entity: np.ndarray) -> np.ndarray:
        """Log-odds offset of each entity (0 for entities never seen: the prior)."""
        return _lookup(self.entity_ids_, self.entity_offsets_, np.asarray(entity, dtype=np.int64))

    def predict_from_offsets(
        self, offsets: np.ndarray, *, match: np.ndarray, position: np.ndarray | int
    ) -> np.ndarray:
        """Probabilities for precomputed entity offsets (the serving hot path)."""
        coef = self.coef_
        pos = np.clip(np.asarray(position, dtype=int), 0, self.n_positions - 1)
        pos_coef = np.concatenate([[0.0], coef[2:-1]])[pos]
        z = coef[0] + coef[1] * np.asarray(match, dtype=float) + pos_coef + coef[-1] * offsets
        return expit(z)

    def predict(
        self, *, entity: np.ndarray, match: np.ndarray, position: np.ndarray | int
    ) -> np.ndarray:
        """Probability of the outcome for each (entity, match, position) row."""
        return self.predict_from_offsets(self.offsets(entity), match=match, position=position)

    def save(self, path: Path) -> None:
        """Write the fitted model to ``path`` (.npz, no pickles)."""
        np.savez(
            path,
            coef=self.coef_,
            base_rate=np.array([self.base_rate_]),
            entity_ids=self.entity_ids_,
            entity_offsets=self.entity_offsets_,
            params=np.array([self.prior_strength, self.l2, self.n_positions, self.n_folds]),
        )

    @classmethod
    def load(cls, path: Path) -> ResponseModel:
        """Read a model written by ``save``."""
        try:
            with np.load(path, allow_pickle=False) as data:
                strength, l2, n_positions, n_folds = data["params"].tolist()
                model = cls(
                    prior_strength=strength,
                    l2=l2,
                    n_positions=int(n_positions),
                    n_folds=int(n_folds),
                )
                model.coef_ = data["coef"]
                model.base_rate_ = float(data["base_rate"][0])
                model.entity_ids_ = data["entity_ids"]
                model.entity_offsets_ = data["entity_offsets"]
        except (OSError, KeyError, ValueError) as exc:
            raise ArtefactError(f"cannot read response model {path}: {exc}") from exc
        return model


class PriorModel:
    """The untrained stand-in: every prediction is ``base_rate`` (used before any training)."""

    def __init__(self, base_rate: float) -> None:
        self.base_rate_ = base_rate

    def offsets(self, entity: np.ndarray) -> np.ndarray:
        """All zeros: no entity is known."""
        return np.zeros(np.shape(entity))

    def predict_from_offsets(
        self, offsets: np.ndarray, *, match: np.ndarray, position: np.ndarray | int
    ) -> np.ndarray:
        """``base_rate`` for every row."""
        return np.full(np.shape(offsets), self.base_rate_)


def calibration_report(outcome: np.ndarray, predicted: np.ndarray, *, bins: int = 10) -> dict:
    """Expected calibration error (equal-mass bins), log loss, AUC, mean prediction and rate."""
    y = np.asarray(outcome, dtype=float)
    p = np.clip(np.asarray(predicted, dtype=float), _EPS, 1 - _EPS)
    if y.size == 0:
        raise InvalidInput("no rows to evaluate", field="events", limit=">= 1 row")
    order = np.argsort(p, kind="stable")
    ece = 0.0
    for chunk in np.array_split(order, bins):
        if chunk.size:
            ece += chunk.size / y.size * abs(p[chunk].mean() - y[chunk].mean())
    log_loss = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    positives = y.sum()
    negatives = y.size - positives
    if positives and negatives:
        ranks = rankdata(p)
        rank_sum = ranks[y == 1].sum() - positives * (positives + 1) / 2
        auc = float(rank_sum / (positives * negatives))
    else:
        auc = float("nan")
    return {
        "n": int(y.size),
        "rate": float(y.mean()),
        "mean_prediction": float(p.mean()),
        "ece": float(ece),
        "log_loss": log_loss,
        "auc": auc,
    }
