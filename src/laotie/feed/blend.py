"""Learned fallback: how much of a retrieval head's own score the final ranking keeps.

The ranker is the pipeline's judge only where it ranks better than the signals it is fed. At
training, users held out of the ranker's fit are given pages from their retrieval candidates
(early sources' lists plus the items they went on to like): each candidate is scored by the
fused ranker output and by each head's score (EASE, ALS, popularity, co-visitation), and
``choose_blend`` picks the mix ``(1 - w) · rank(model) + w · rank(head)`` with the best NDCG,
where the model's score is the fused objectives or ``p(play)`` alone (an objective head that
is uninformative on these data, like ``follow`` on a rating log, only adds noise to the
fusion). The configured fusion with ``w = 0`` wins ties (within ``MIN_GAIN``); ``w = 1``
falls back to the head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from laotie.feed.config import FusionConfig
from laotie.feed.features import FEATURES
from laotie.feed.fusion import fuse

#: retrieval heads whose score is a ranking feature: head -> feature column
HEADS: dict[str, str] = {
    "ease": "ease_score",
    "als": "als_affinity",
    "popular": "item_log_popularity",
    "covisit": "covisit_score",
}
#: the model's score: the configured fusion, or p(play) alone
MODELS: tuple[str, ...] = ("fused", "play")
#: weights of the head tried
WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: a blend must beat the model alone by this much NDCG to be chosen (noise guard)
MIN_GAIN = 0.002
#: the page depth the choice is judged at
DEPTH = 10


def _percentile(values: np.ndarray) -> np.ndarray:
    """Rank of each value among ``values`` scaled to (0, 1]; ties share the mean rank."""
    if not len(values):
        return values.astype(np.float32)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), np.float64)
    ranks[order] = np.arange(1, len(values) + 1)
    _, inverse = np.unique(values, return_inverse=True)
    mean_rank = np.bincount(inverse, weights=ranks) / np.bincount(inverse)
    return (mean_rank[inverse] / len(values)).astype(np.float32)


@dataclass(frozen=True)
class Blend:
    """Final score = ``(1 - weight) · rank(model) + weight · rank(head)`` over a request's
    candidates; weight 0 leaves the model's score as it is."""

    head: str = ""
    weight: float = 0.0
    model: str = "fused"

    def model_score(self, predictions: dict[str, np.ndarray], fusion: FusionConfig) -> np.ndarray:
        """The model's score of each row: the fused objectives, or p(play) alone."""
        if self.model == "play" and "play" in predictions:
            return predictions["play"].astype(np.float32) + np.float32(1e-6)
        return fuse(predictions, fusion)

    def apply(self, scores: np.ndarray, features: np.ndarray) -> np.ndarray:
        """Blended scores of one request's candidates (``features`` rows in the same order)."""
        if self.weight <= 0 or self.head not in HEADS or not len(scores):
            return scores
        head = features[:, FEATURES.index(HEADS[self.head])]
        mixed = (1.0 - self.weight) * _percentile(scores) + self.weight * _percentile(head)
        return (mixed + 0.01).astype(np.float32)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the manifest."""
        return {"head": self.head, "weight": self.weight, "model": self.model}

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Blend:
        """The blend a model version learned (the model alone when it recorded none)."""
        learned = manifest.get("learned", {}).get("blend") or {}
        return cls(
            head=str(learned.get("head", "")),
            weight=float(learned.get("weight", 0.0)),
            model=str(learned.get("model", "fused")),
        )


def _ndcg(groups: list[np.ndarray], relevant: np.ndarray, scores: np.ndarray) -> float:
    discounts = 1.0 / np.log2(np.arange(2, DEPTH + 2))
    values = []
    for rows in groups:
        gains = relevant[rows][np.argsort(-scores[rows], kind="stable")[:DEPTH]]
        ideal = discounts[: min(int(relevant[rows].sum()), DEPTH)].sum()
        if ideal > 0:
            values.append(float((gains * discounts[: len(gains)]).sum() / ideal))
    return float(np.mean(values)) if values else 0.0


def choose_blend(
    users: np.ndarray,
    relevant: np.ndarray,
    predictions: dict[str, np.ndarray],
    features: np.ndarray,
    fusion: FusionConfig,
) -> tuple[Blend, dict[str, float]]:
    """The blend with the best NDCG@``DEPTH`` over the users' candidate rows, and the NDCG of
    the fused model, of p(play) and of every head alone (what the choice was made on)."""
    order = np.argsort(users, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(users[order])) + 1)
    groups = [rows for rows in groups if len(rows)]
    relevant = np.asarray(relevant, np.float64)

    scores = {model: Blend(model=model).model_score(predictions, fusion) for model in MODELS}

    def per_user(blend: Blend) -> np.ndarray:
        base = scores[blend.model]
        out = np.empty(len(base), np.float32)
        for rows in groups:
            out[rows] = blend.apply(base[rows], features[rows])
        return out

    default = _ndcg(groups, relevant, scores["fused"])
    report = {"fused": round(default, 4)}
    best, best_score = Blend(), default + MIN_GAIN
    for model in MODELS:
        for head in HEADS:
            for weight in WEIGHTS if model != "fused" else WEIGHTS[1:]:
                if weight == 0.0 and head != next(iter(HEADS)):
                    continue  # the model alone: once per model
                score = _ndcg(groups, relevant, per_user(Blend(head, weight, model)))
                if weight == 0.0:
                    report[model] = round(score, 4)
                if weight == 1.0 and model == "fused":
                    report[head] = round(score, 4)
                if score > best_score:
                    best, best_score = Blend(head if weight else "", weight, model), score
    report["chosen"] = round(best_score if best != Blend() else default, 4)
    return best, report
