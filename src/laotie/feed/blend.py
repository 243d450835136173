"""Learned fallback: what the final ranking is made of, chosen per model version.

The ranker is the pipeline's judge only where it ranks better than the signals it is fed. At
training, users held out of the ranker's fit are given pages from their retrieval candidates
(the early sources' lists plus the items they went on to like); ``choose_blend`` picks the
final score ``(1 - w) · rank(model) + w · rank(head)`` with the best NDCG there, where the
model's score is the fused objectives, ``p(play)`` alone or ``p(play)`` of the pre-rank's
early rounds (an objective head uninformative on these data, like ``follow`` on a rating
log, only adds noise to the fusion; a small log overfits late rounds), and the head is one
retrieval source's own ranking (its reciprocal rank). The configured fusion stays unless
another choice beats it on those users beyond noise (a paired-bootstrap 95% interval over the
users above zero); ``w = 1`` falls back to the source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from laotie.core.feedconfig import FusionConfig
from laotie.feed.fusion import fuse
from laotie.feed.metrics import paired_bootstrap

#: retrieval sources that can be a head (what the training gate can rank with)
HEADS: tuple[str, ...] = ("ease", "popular", "covisit")
#: the model's score: the configured fusion, p(play), or p(play) of the pre-rank's rounds
MODELS: tuple[str, ...] = ("fused", "play", "play_early")
#: weights of the head tried
WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: the page depth the choice is judged at
DEPTH = 10


def head_scores(found: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Per id of ``ids``: ``1 / (1 + rank)`` in a source's list ``found`` (best first), 0 when
    the source did not list it."""
    found = found[found >= 0]
    order = np.argsort(found, kind="stable")
    position = np.searchsorted(found[order], ids)
    position = np.minimum(position, max(len(found) - 1, 0))
    listed = len(found) > 0
    hit = listed & (found[order][position] == ids) if listed else np.zeros(len(ids), bool)
    out = np.zeros(len(ids), np.float32)
    if listed:
        out[hit] = 1.0 / (1.0 + order[position[hit]])
    return out


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


def _percentile_among(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``_percentile`` of the ``reference`` rows' values; any other row gets the share of those
    values at or below its own."""
    out = np.empty(len(values), np.float32)
    out[reference] = _percentile(values[reference])
    others = ~reference
    if others.any():
        ordered = np.sort(values[reference])
        share = np.searchsorted(ordered, values[others], side="right") / max(len(ordered), 1)
        out[others] = share
    return out


@dataclass(frozen=True)
class Blend:
    """Final score = ``(1 - weight) · rank(model) + weight · rank(head)`` over a request's
    candidates; weight 0 leaves the model's score as it is."""

    head: str = ""
    weight: float = 0.0
    model: str = "fused"

    def model_score(self, predictions: dict[str, np.ndarray], fusion: FusionConfig) -> np.ndarray:
        """The model's score of each row (``predictions`` holds ``play_early`` when the
        model is that)."""
        if self.model in ("play", "play_early") and self.model in predictions:
            return predictions[self.model].astype(np.float32) + np.float32(1e-6)
        return fuse({k: v for k, v in predictions.items() if k != "play_early"}, fusion)

    def apply(
        self,
        scores: np.ndarray,
        head: np.ndarray | None,
        *,
        reference: np.ndarray | None = None,
    ) -> np.ndarray:
        """Blended scores of one request's candidates (``head``: the head's scores of the
        same rows); percentiles are taken among the ``reference`` rows (a mask; default all),
        so rows added beside them (a fresh slot's contenders) move no reference row."""
        if self.weight <= 0 or head is None or not len(scores):
            return scores
        rows = np.ones(len(scores), bool) if reference is None else reference
        return self.mix(_percentile_among(scores, rows), _percentile_among(head, rows))

    def mix(self, model_ranks: np.ndarray, head_ranks: np.ndarray) -> np.ndarray:
        """The blended score from the model's and the head's percentile ranks."""
        mixed = (1.0 - self.weight) * model_ranks + self.weight * head_ranks
        return (mixed + 0.01).astype(np.float32)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the manifest."""
        return {"head": self.head, "weight": self.weight, "model": self.model}

    @classmethod
    def from_manifest(cls, manifest: dict[str, Any]) -> Blend:
        """The blend a model version learned (the configured fusion when it recorded none)."""
        learned = manifest.get("learned", {}).get("blend") or {}
        return cls(
            head=str(learned.get("head", "")),
            weight=float(learned.get("weight", 0.0)),
            model=str(learned.get("model", "fused")),
        )


def _ndcg(groups: list[np.ndarray], relevant: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """NDCG@``DEPTH`` of each group (user) with a relevant row."""
    discounts = 1.0 / np.log2(np.arange(2, DEPTH + 2))
    values = []
    for rows in groups:
        gains = relevant[rows][np.argsort(-scores[rows], kind="stable")[:DEPTH]]
        ideal = discounts[: min(int(relevant[rows].sum()), DEPTH)].sum()
        if ideal > 0:
            values.append(float((gains * discounts[: len(gains)]).sum() / ideal))
    return np.asarray(values, np.float64)


def choose_blend(
    users: np.ndarray,
    relevant: np.ndarray,
    predictions: dict[str, np.ndarray],
    heads: dict[str, np.ndarray],
    fusion: FusionConfig,
) -> tuple[Blend, dict[str, float]]:
    """The blend with the best NDCG@``DEPTH`` over the users' candidate rows (``heads``: each
    source's scores of the rows), and the NDCG of every model and every head alone."""
    order = np.argsort(users, kind="stable")
    groups = [g for g in np.split(order, np.flatnonzero(np.diff(users[order])) + 1) if len(g)]
    relevant = np.asarray(relevant, np.float64)
    scores = {m: Blend(model=m).model_score(predictions, fusion) for m in MODELS}

    def per_user_ranks(values: np.ndarray) -> np.ndarray:
        out = np.empty(len(values), np.float32)
        for rows in groups:
            out[rows] = _percentile(values[rows])
        return out

    # each model's and head's per-user ranks do not depend on the weight: ranked once here,
    # not once per blend tried (3 models x 4 weights x each head)
    model_ranks = {m: per_user_ranks(v) for m, v in scores.items()}

    tried = {Blend(model=model): _ndcg(groups, relevant, scores[model]) for model in MODELS}
    report = {
        blend.model: round(float(v.mean()), 4) if len(v) else 0.0 for blend, v in tried.items()
    }
    for head, values in heads.items():
        report[head] = round(float(_ndcg(groups, relevant, values).mean() or 0.0), 4)
        head_ranks = per_user_ranks(values)
        for model in MODELS:
            for weight in WEIGHTS[1:]:
                blend = Blend(head, weight, model)
                mixed = blend.mix(model_ranks[model], head_ranks)
                tried[blend] = _ndcg(groups, relevant, mixed)
    default = tried[Blend()]
    if not len(default):
        return Blend(), report
    best = max(tried, key=lambda blend: float(tried[blend].mean()))
    _, low, _ = paired_bootstrap(tried[best], default)
    chosen = best if low > 0 else Blend()
    report["chosen"] = round(float(tried[chosen].mean()), 4)
    return chosen, report
