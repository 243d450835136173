"""Learned fallback: what the final ranking is made of, chosen per model version.

The ranker is the pipeline's judge only where it ranks better than the signals it is fed. At
training, users held out of the gate's ranker's fit (``feed/gate.py``: a ranker cross-fitted
on the other users) are given pages from their retrieval candidates (the early sources'
lists); ``choose_blend`` picks the
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
from laotie.feed.user_rows import UserRows, row_ndcg, row_percentiles, row_top

#: retrieval sources that can be a head (what the training gate can rank with)
HEADS: tuple[str, ...] = ("ease", "popular", "covisit")
#: the model's score: the configured fusion, p(play), or p(play) of the pre-rank's rounds
MODELS: tuple[str, ...] = ("fused", "play", "play_early")
#: weights of the head tried
WEIGHTS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
#: the page depth the choice is judged at
DEPTH = 10
#: the models score at least this many candidates per requested item
DEPTH_PER_ITEM = 3


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
    """Rank of each value among ``values`` scaled to (0, 1]; ties share the mean rank (one
    user's row of ``row_percentiles``)."""
    row = np.asarray(values)[None, :]
    return row_percentiles(row, np.ones(row.shape, bool))[0].astype(np.float32)


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


def prerank_depth(rank_depth: int, n: int) -> int:
    """Candidates a page of ``n`` items has every objective score: the pre-rank keeps this
    many (``rank_depth``, at least ``DEPTH_PER_ITEM`` per requested item)."""
    return max(rank_depth, DEPTH_PER_ITEM * n)


class GatePages:
    """Held-out users' candidate rows ranked as serving ranks them: the pre-rank (``early``,
    the early p(play) rounds, blended with a head as the blend tried would blend it) keeps each
    user's ``depth`` best rows, and only those meet the full model and the final blend."""

    def __init__(
        self,
        users: np.ndarray,
        relevant: np.ndarray,
        early: np.ndarray,
        heads: dict[str, np.ndarray],
        *,
        depth: int,
    ) -> None:
        self.by_user = UserRows.of(users)
        valid = self.by_user.valid
        self.row_relevant = np.asarray(relevant, bool)
        self.row_heads = {name: np.asarray(values, np.float64) for name, values in heads.items()}
        self.relevant = self.by_user.gather(self.row_relevant) > 0
        self.relevant_counts = self.relevant.sum(axis=1)
        early_scores = self.by_user.gather(early)
        early_ranks = row_percentiles(early_scores, valid)
        self.kept = {Blend(): self._rows(row_top(early_scores, valid, depth))}
        for name, values in self.row_heads.items():
            head_ranks = row_percentiles(self.by_user.gather(values), valid)
            for weight in WEIGHTS[1:]:
                prerank = Blend(name, weight).mix(early_ranks, head_ranks)
                self.kept[Blend(name, weight)] = self._rows(row_top(prerank, valid, depth))

    def _rows(self, columns: np.ndarray) -> np.ndarray:
        """Row numbers of matrix ``columns`` (-1 stays -1)."""
        rows = np.take_along_axis(self.by_user.index, np.maximum(columns, 0), axis=1)
        return np.where(columns >= 0, rows, -1)

    def scored_rows(self) -> np.ndarray:
        """The rows the full model has to score: those a blend's pre-rank keeps, but for a
        blend that is all head (``w = 1``), whose page the model does not order."""
        kept = [rows.ravel() for blend, rows in self.kept.items() if blend.weight < 1.0]
        rows = np.unique(np.concatenate(kept))
        return rows[rows >= 0]

    def head_ndcg(self, head: str) -> np.ndarray:
        """Per user, NDCG@``DEPTH`` of the head's own ranking of every candidate."""
        ranked = row_top(self.by_user.gather(self.row_heads[head]), self.by_user.valid, DEPTH)
        return row_ndcg(self.relevant, ranked, self.relevant_counts, DEPTH)

    def ndcg(self, blend: Blend, model_scores: np.ndarray) -> np.ndarray:
        """Per user, NDCG@``DEPTH`` of ``blend``'s page: its pre-rank's rows ranked by the
        blend of ``model_scores`` (one per row) and its head's percentiles among those rows."""
        kept = self.kept[Blend(blend.head, blend.weight)]
        valid = kept >= 0
        rows = np.maximum(kept, 0)
        score = np.where(valid, np.asarray(model_scores, np.float64)[rows], 0.0)
        if blend.weight > 0:  # all head (w = 1): the model's scores of these rows are not read
            head = np.where(valid, self.row_heads[blend.head][rows], 0.0)
            model = row_percentiles(score, valid) if blend.weight < 1 else np.zeros(score.shape)
            score = blend.mix(model, row_percentiles(head, valid))
        ranked = row_top(score, valid, DEPTH)
        return row_ndcg(self.row_relevant[rows] & valid, ranked, self.relevant_counts, DEPTH)


def choose_blend(
    pages: GatePages, predictions: dict[str, np.ndarray], fusion: FusionConfig
) -> tuple[Blend, dict[str, float]]:
    """The blend with the best NDCG@``DEPTH`` over the gate's pages (``predictions``: each
    objective's and ``play_early``'s prediction per row; only ``pages.scored_rows()`` are
    read), and the NDCG of every model and every head alone."""
    scores = {m: Blend(model=m).model_score(predictions, fusion) for m in MODELS}
    tried = {Blend(model=model): pages.ndcg(Blend(model=model), scores[model]) for model in MODELS}
    report = {
        blend.model: round(float(v.mean()), 4) if len(v) else 0.0 for blend, v in tried.items()
    }
    for head in pages.row_heads:
        values = pages.head_ndcg(head)
        report[head] = round(float(values.mean()), 4) if len(values) else 0.0
        for model in MODELS:
            for weight in WEIGHTS[1:]:
                blend = Blend(head, weight, model)
                tried[blend] = pages.ndcg(blend, scores[model])
    default = tried[Blend()]
    if not len(default):
        return Blend(), report
    best = max(tried, key=lambda blend: float(tried[blend].mean()))
    _, low, _ = paired_bootstrap(tried[best], default)
    chosen = best if low > 0 else Blend()
    report["chosen"] = round(float(tried[chosen].mean()), 4)
    return chosen, report
