"""Where a page's quality goes: every stage of the pipeline scored on its own.

For each evaluated user: each retrieval source alone (its top K of allowed items), the merged
candidates (recall of the held-out relevant items within the first N by retrieval consensus:
the ceiling the ranker can reach), the pre-rank alone (early ``p(play)`` rounds over every
candidate), the ranker alone (``p(play)``, all rounds), the fused score over every candidate
and the page after re-rank. ``laotie evaluate --ablation`` prints it; every change to the feed
is judged with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from laotie.feed.fusion import fuse
from laotie.feed.metrics import (
    ndcg_at_k,
    ndcg_per_user,
    paired_bootstrap,
    precision_at_k,
    recall_at_k,
)
from laotie.feed.pipeline import Pipeline

#: candidate depths whose recall is reported
CANDIDATE_DEPTHS: tuple[int, ...] = (50, 100, 300, 500)


def _best(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    order = np.argsort(-scores, kind="stable")[:k]
    return ids[order]


def stage_pages(pipeline: Pipeline, user: int, k: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Top-``k`` of each source and stage for ``user``, and every candidate ordered by
    retrieval consensus (best first)."""
    allowed, next_items = pipeline.allowed(user)
    pages: dict[str, np.ndarray] = {}
    seen = len(pipeline.bundle.state.seen.get(user, ()))
    for name in pipeline.names:
        found, _ = pipeline.bundle.sources[name].recommend_one(user, k + seen + 10)
        found = found[(found >= 0) & (found < len(allowed))]
        pages[f"source:{name}"] = found[allowed[found]][:k]
    ids, _, rrf = pipeline.candidates(user, allowed)
    by_consensus = ids[np.argsort(-rrf, kind="stable")]
    ranker, stats = pipeline.bundle.ranker, pipeline.bundle.stats
    if ranker is not None and stats is not None and len(ids):
        features = pipeline.features(user, ids, next_items)
        rounds = pipeline.config.ranker.prerank_rounds
        early = ranker.predict(features, objectives=("play",), rounds=rounds)["play"]
        predictions = ranker.predict(features)
        pages["prerank"] = _best(ids, early, k)
        pages["ranker:play"] = _best(ids, predictions["play"], k)
        fused = fuse(predictions, pipeline.config.fusion)
        pages["fused"] = _best(ids, fused, k)
        blend = pipeline.blend
        if blend.weight or blend.model != "fused":
            if blend.model == "play_early":
                predictions["play_early"] = early
            learned = blend.apply(
                blend.model_score(predictions, pipeline.config.fusion), pipeline.head(user, ids)
            )
            pages[f"learned ({blend.model}, {blend.head or '-'} x{blend.weight})"] = _best(
                ids, learned, k
            )
    pages["page"] = np.array([r.item_id for r in pipeline.run(user, k).items], np.int64)
    return pages, by_consensus


def ablation(
    pipeline: Pipeline, users: Sequence[int], relevant: Sequence[set[int]], *, k: int
) -> dict[str, Any]:
    """Recall, precision and NDCG at ``k`` of every stage, and the merged candidates' recall at
    ``CANDIDATE_DEPTHS`` and in all, over ``users`` (``relevant``: each one's held-out items)."""
    pages: dict[str, list[np.ndarray]] = {}
    candidates: list[np.ndarray] = []
    for user in users:
        by_stage, merged = stage_pages(pipeline, user, k)
        for name, page in by_stage.items():
            pages.setdefault(name, []).append(page)
        candidates.append(merged)
    stages = {
        name: {
            f"recall@{k}": round(recall_at_k(recs, relevant, k), 4),
            f"precision@{k}": round(precision_at_k(recs, relevant, k), 4),
            f"ndcg@{k}": round(ndcg_at_k(recs, relevant, k), 4),
        }
        for name, recs in pages.items()
        if len(recs) == len(users)
    }
    recall = {
        f"recall@{n}": round(recall_at_k(candidates, relevant, n), 4) for n in CANDIDATE_DEPTHS
    }
    recall["recall@all"] = round(recall_at_k(candidates, relevant, 10**9), 4)
    recall["mean_candidates"] = round(float(np.mean([len(c) for c in candidates])), 1)
    sources = [name for name in stages if name.startswith("source:")]
    best = max(sources, key=lambda name: stages[name][f"ndcg@{k}"])
    diff, low, high = paired_bootstrap(
        ndcg_per_user(pages["page"], relevant, k), ndcg_per_user(pages[best], relevant, k)
    )
    return {
        "stages": stages,
        "candidates": recall,
        "users": len(users),
        "page_vs_best_source": {
            "source": best,
            f"ndcg@{k}_diff": round(diff, 4),
            "ci95": [round(low, 4), round(high, 4)],
        },
    }
