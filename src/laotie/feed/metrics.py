"""Offline metrics shared by ``laotie evaluate``, training reports and the simulator.

Top-K metrics take per-user recommended id lists and relevant id sets; prediction metrics
take flat arrays of labels and predictions (optionally grouped by user for GAUC).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def recall_at_k(recommended: Sequence[np.ndarray], relevant: Sequence[set[int]], k: int) -> float:
    """Mean over users of |top-k ∩ relevant| / |relevant| (users with no relevant items skipped)."""
    values = [
        len(set(r[:k].tolist()) & rel) / len(rel)
        for r, rel in zip(recommended, relevant, strict=True)
        if rel
    ]
    return float(np.mean(values)) if values else 0.0


def precision_at_k(
    recommended: Sequence[np.ndarray], relevant: Sequence[set[int]], k: int
) -> float:
    """Mean over users of |top-k ∩ relevant| / k."""
    values = [
        len(set(r[:k].tolist()) & rel) / k
        for r, rel in zip(recommended, relevant, strict=True)
        if rel
    ]
    return float(np.mean(values)) if values else 0.0


def ndcg_per_user(
    recommended: Sequence[np.ndarray], relevant: Sequence[set[int]], k: int
) -> np.ndarray:
    """Binary-relevance NDCG@k of each user with at least one relevant item, in order."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for r, rel in zip(recommended, relevant, strict=True):
        if not rel:
            continue
        gains = np.array([1.0 if i in rel else 0.0 for i in r[:k].tolist()])
        dcg = float((gains * discounts[: len(gains)]).sum())
        ideal = float(discounts[: min(len(rel), k)].sum())
        values.append(dcg / ideal)
    return np.asarray(values, dtype=np.float64)


def ndcg_at_k(recommended: Sequence[np.ndarray], relevant: Sequence[set[int]], k: int) -> float:
    """Mean binary-relevance NDCG@k."""
    values = ndcg_per_user(recommended, relevant, k)
    return float(values.mean()) if len(values) else 0.0


def graded_ndcg(served: np.ndarray, pool: np.ndarray, k: int) -> float:
    """NDCG@k of a served list's graded gains against the best ``k`` of ``pool`` (0..1; 0 for
    an empty list or a pool without gain). A list shorter than ``k`` loses the missing gains."""
    if k <= 0 or len(served) == 0:
        return 0.0
    served = np.asarray(served, np.float64)[:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ideal = np.sort(pool)[::-1][:k]
    best = float((ideal * discounts[: len(ideal)]).sum())
    return float((served * discounts[: len(served)]).sum() / best) if best > 0 else 0.0


def paired_bootstrap(
    a: np.ndarray, b: np.ndarray, *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of ``a - b`` over paired units and its 95% bootstrap interval (resampling units)."""
    diff = np.asarray(a, np.float64) - np.asarray(b, np.float64)
    if not len(diff):
        return 0.0, 0.0, 0.0
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), (resamples, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diff.mean()), float(low), float(high)


def map_at_k(recommended: Sequence[np.ndarray], relevant: Sequence[set[int]], k: int) -> float:
    """Mean average precision at k."""
    values = []
    for r, rel in zip(recommended, relevant, strict=True):
        if not rel:
            continue
        hits, total = 0, 0.0
        for rank, item in enumerate(r[:k].tolist(), start=1):
            if item in rel:
                hits += 1
                total += hits / rank
        values.append(total / min(len(rel), k))
    return float(np.mean(values)) if values else 0.0


def coverage(recommended: Sequence[np.ndarray], n_items: int, k: int) -> float:
    """Share of the catalog that appears in some user's top-k."""
    if not n_items:
        return 0.0
    shown = np.unique(np.concatenate([r[:k] for r in recommended] or [np.empty(0, np.int64)]))
    return float(len(shown[shown >= 0]) / n_items)


def novelty(
    recommended: Sequence[np.ndarray], popularity: np.ndarray, n_users: int, k: int
) -> float:
    """Mean self-information -log2(p) of recommended items, p = share of users who had the item."""
    ids = np.concatenate([r[:k] for r in recommended] or [np.empty(0, np.int64)])
    ids = ids[(ids >= 0) & (ids < len(popularity))]
    if not len(ids) or not n_users:
        return 0.0
    p = np.maximum(popularity[ids], 1) / n_users
    return float(np.mean(-np.log2(p)))


def auc(labels: np.ndarray, predictions: np.ndarray) -> float | None:
    """ROC AUC (ties count half); None when only one class is present."""
    labels = np.asarray(labels).astype(bool)
    n_pos, n_neg = int(labels.sum()), int((~labels).sum())
    if not n_pos or not n_neg:
        return None
    order = np.argsort(predictions, kind="stable")
    sorted_pred = np.asarray(predictions)[order]
    ranks = np.empty(len(order), np.float64)
    _, first, counts = np.unique(sorted_pred, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(average, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def gauc(labels: np.ndarray, predictions: np.ndarray, groups: np.ndarray) -> float | None:
    """Group (user) AUC weighted by group size, over groups with both classes."""
    order = np.argsort(groups, kind="stable")
    g, y, p = np.asarray(groups)[order], np.asarray(labels)[order], np.asarray(predictions)[order]
    bounds = np.flatnonzero(np.diff(g)) + 1
    total, weight = 0.0, 0
    for ys, ps in zip(np.split(y, bounds), np.split(p, bounds), strict=True):
        value = auc(ys, ps)
        if value is not None:
            total += value * len(ys)
            weight += len(ys)
    return total / weight if weight else None


def logloss(labels: np.ndarray, predictions: np.ndarray) -> float | None:
    """Mean binary cross-entropy (predictions clipped to [1e-7, 1-1e-7])."""
    if not len(labels):
        return None
    p = np.clip(np.asarray(predictions, np.float64), 1e-7, 1 - 1e-7)
    y = np.asarray(labels, np.float64)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def xauc(
    actual: np.ndarray, predicted: np.ndarray, *, pairs: int = 200_000, seed: int = 0
) -> float | None:
    """Share of sampled pairs whose watch-time order the prediction gets right (XAUC)."""
    actual, predicted = np.asarray(actual, np.float64), np.asarray(predicted, np.float64)
    if len(actual) < 2:
        return None
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(actual), pairs), rng.integers(0, len(actual), pairs)
    differ = actual[a] != actual[b]
    if not differ.any():
        return None
    right = np.sign(actual[a] - actual[b]) == np.sign(predicted[a] - predicted[b])
    return float(right[differ].mean())


def mae(actual: np.ndarray, predicted: np.ndarray) -> float | None:
    """Mean absolute error."""
    if not len(actual):
        return None
    return float(
        np.mean(np.abs(np.asarray(actual, np.float64) - np.asarray(predicted, np.float64)))
    )
