"""One feed request: retrieval from every source -> features -> ranker -> fusion -> re-rank."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from laotie.core.contracts import TrustDecision
from laotie.core.feedconfig import FeedConfig
from laotie.feed.blend import Blend, head_scores, prerank_depth
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
from laotie.feed.features import build_features
from laotie.feed.ranker import OBJECTIVES
from laotie.feed.rerank import filter_candidates, select_page
from laotie.feed.sources import AlsSource, CovisitSource, EaseSource, PopularSource

#: reciprocal-rank constant for the no-model fallback score
_RRF_K = 60.0
#: weight of retrieval consensus in the final score: enough to order ties, not to overrule
_TIE_BREAK = 0.01
#: the pre-rank passes at most this many times the page's creator cap per creator
_DEPTH_PER_CREATOR = 2
#: fresh candidates the pre-rank keeps per fresh slot, whatever their pre-rank score
_FRESH_PER_SLOT = 2


def prerank_keep(
    play: np.ndarray, creator: np.ndarray, *, depth: int, per_creator: int
) -> np.ndarray:
    """Sorted rows of the ``depth`` best pre-rank scores, at most ``per_creator`` per creator
    while others remain: a page may show only a few items of one creator, so a pre-rank
    filled by one prolific creator would leave the page short. Rows without a creator (-1)
    are not limited."""
    order = np.argsort(-play, kind="stable")
    ranked_creator = creator[order]
    by_creator = np.argsort(ranked_creator, kind="stable")  # best first within each creator
    grouped = ranked_creator[by_creator]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, len(order)])
    place = np.empty(len(order), np.int64)
    place[by_creator] = np.arange(len(order)) - np.repeat(starts, sizes)
    first = (place < per_creator) | (ranked_creator < 0)
    chosen = np.concatenate([order[first], order[~first]])[:depth]
    return np.sort(chosen)


class Gate(Protocol):
    """The trust gate's call the feed makes (``core.contracts.TrustGate``)."""

    def decisions(self, item_ids: Any) -> Mapping[int, TrustDecision]: ...


@dataclass
class Ranked:
    """One chosen item with everything ``--explain`` shows."""

    item_id: int
    score: float
    sources: list[str]
    predictions: dict[str, float]
    fused: float
    adjustments: list[str]


@dataclass
class Result:
    """A ranked page and how it was made."""

    items: list[Ranked]
    candidates: int
    dropped: dict[str, int] = field(default_factory=dict)
    ranked_by: str = "model"


class Pipeline:
    """Serves pages from one ``Bundle`` over one catalog; cheap to build, safe to share."""

    def __init__(
        self,
        bundle: Bundle,
        catalog: Catalog,
        config: FeedConfig,
        *,
        clock: Any,
        gate: Gate | None = None,
    ) -> None:
        self.bundle = bundle
        self.catalog = catalog
        self.config = config
        self.clock = clock
        self.gate = gate
        bundle.bind(catalog, clock)
        self.names = list(bundle.sources)
        self.fresh_bit = 1 << self.names.index("fresh") if "fresh" in self.names else 0
        quotas = {name: s.quota for name, s in config.source_sections().items()}  # type: ignore[attr-defined]
        self.quotas = {name: quotas[name] for name in self.names}
        als = bundle.sources.get("als")
        self.als = als if isinstance(als, AlsSource) else None
        covisit = bundle.sources.get("covisit")
        self.covisit = covisit if isinstance(covisit, CovisitSource) else None
        popular = bundle.sources.get("popular")
        self.top_up = popular.top_ if isinstance(popular, PopularSource) else np.empty(0, np.int64)
        #: top-up candidates come from popular's list beyond its quota: they carry its bit
        self.top_up_bit = 1 << self.names.index("popular") if len(self.top_up) else 0
        #: the mix of the model and a retrieval head's score this version learned
        self.blend = Blend.from_manifest(bundle.manifest)

    def allowed(
        self, user_id: int, *, exclude: np.ndarray | None = None, kinds: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per catalog id: may it be a candidate (valid, unseen or the next episode/chapter,
        not on an earlier page, of a wanted kind); and the user's next items."""
        catalog, state = self.catalog, self.bundle.state
        allowed = catalog.valid.copy()
        if kinds is not None:
            allowed &= np.isin(catalog.kind, kinds)
        seen = state.seen_items(user_id)
        next_items, _ = state.next_items(catalog, user_id)
        allowed[seen[seen < catalog.size]] = False
        allowed[next_items] = catalog.valid[next_items]
        if exclude is not None and len(exclude):
            allowed[exclude[exclude < catalog.size]] = False
        return allowed, next_items

    def retrieve(
        self, user_id: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Union of every source's allowed candidates: ids, source bitmask, reciprocal-rank score.

        Each source is asked for up to twice its quota (more for users who have seen more), so
        that its quota is filled with allowed items."""
        allowed = self.allowed(user_id)[0] if allowed is None else allowed
        size = len(allowed)
        seen = len(self.bundle.state.seen.get(user_id, ()))
        ids, bits, rrf = [], [], []
        for k, name in enumerate(self.names):
            quota = self.quotas[name]
            if quota <= 0:
                continue
            found, _ = self.bundle.sources[name].recommend_one(
                user_id, quota + min(quota, seen + 10)
            )
            found = found[(found >= 0) & (found < size)]
            found = found[allowed[found]][:quota]
            ids.append(found)
            bits.append(np.full(len(found), 1 << k, np.int64))
            rrf.append(1.0 / (_RRF_K + np.arange(len(found))))
        if not ids:
            return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
        all_ids = np.concatenate(ids)
        unique, inverse = np.unique(all_ids, return_inverse=True)
        mask = np.zeros(len(unique), np.int64)
        np.bitwise_or.at(mask, inverse, np.concatenate(bits))
        score = np.bincount(inverse, weights=np.concatenate(rrf), minlength=len(unique))
        return unique, mask, score

    def candidates(
        self, user_id: int, allowed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``retrieve``'s union topped up from popular's list to ``min_candidates``, by id."""
        ids, mask, rrf = self.retrieve(user_id, allowed)
        minimum = self.config.serving.min_candidates
        if len(ids) < minimum and len(self.top_up):
            head = self.top_up[self.top_up < self.catalog.size]
            head = head[allowed[head]]
            extra = head[~np.isin(head, ids)][: minimum - len(ids)]
            ids = np.concatenate([ids, extra])
            mask = np.concatenate([mask, np.full(len(extra), self.top_up_bit, np.int64)])
            rrf = np.concatenate([rrf, np.zeros(len(extra))])
            order = np.argsort(ids)
            ids, mask, rrf = ids[order], mask[order], rrf[order]
        return ids, mask, rrf

    def run(
        self,
        user_id: int,
        n: int,
        *,
        exclude: np.ndarray | None = None,
        kinds: np.ndarray | None = None,
        explain: bool = False,
    ) -> Result:
        """The best ``n`` items for ``user_id`` (internal id; unknown ids get a cold-start page)."""
        catalog, config = self.catalog, self.config
        allowed, next_items = self.allowed(user_id, exclude=exclude, kinds=kinds)
        ids, mask, rrf = self.candidates(user_id, allowed)
        decisions = self.gate.decisions(ids.tolist()) if self.gate is not None and len(ids) else {}
        filtered = filter_candidates(
            ids,
            catalog=catalog,
            seen=np.empty(0, np.int64),
            next_items=next_items,
            decisions=decisions,
            config=config.rerank,
        )
        position = np.searchsorted(ids, filtered.ids)
        ids, mask, rrf = filtered.ids, mask[position], rrf[position]
        predictions: dict[str, np.ndarray] = {}
        ranked_by = "sources"
        candidates = len(ids)
        factor = filtered.factor
        reference = np.ones(len(ids), bool)  # the rows scores are scaled among (not extras)
        if (
            self.bundle.ranker is not None
            and self.bundle.stats is not None
            and config.ranker.enabled
            and len(ids)
        ):
            features = self.features(user_id, ids, next_items)
            head = self.head(user_id, ids)
            ranker = self.bundle.ranker
            depth = prerank_depth(config.ranker.rank_depth, n)
            if len(ids) > depth:  # pre-rank: early p(play) rounds pick who meets the ranker
                rounds = config.ranker.prerank_rounds
                play = ranker.predict(features, objectives=("play",), rounds=rounds)["play"]
                play = self.blend.apply(play, head)
                keep = prerank_keep(
                    play,
                    catalog.creator[ids],
                    depth=depth,
                    per_creator=_DEPTH_PER_CREATOR * config.rerank.creator_cap,
                )
                kept = keep
                if self.fresh_bit and config.rerank.fresh_slots:  # fresh slots need contenders
                    fresh_rows = np.flatnonzero(mask & self.fresh_bit)
                    best = fresh_rows[np.argsort(-play[fresh_rows], kind="stable")]
                    keep = np.union1d(
                        keep, best[: _FRESH_PER_SLOT * len(config.rerank.fresh_slots)]
                    )
                reference = np.isin(keep, kept)
                ids, mask, rrf, factor = ids[keep], mask[keep], rrf[keep], factor[keep]
                features = features[keep]
                head = None if head is None else head[keep]
            predictions = ranker.predict(features)
            if self.blend.model == "play_early":
                predictions["play_early"] = ranker.predict(
                    features, objectives=("play",), rounds=config.ranker.prerank_rounds
                )["play"]
            # the fresh slot's extra contenders are scored beside the pre-ranked rows, not
            # among them: with or without a fresh slot, those rows keep their order
            fused = self.blend.apply(
                self.blend.model_score(predictions, config.fusion), head, reference=reference
            )
            ranked_by = "model" if not self.blend.weight else f"model+{self.blend.head}"
            top_rrf = rrf[reference].max() if reference.any() else 0.0
            if top_rrf > 0:  # retrieval consensus breaks (near-)ties
                fused = fused * (1.0 + _TIE_BREAK * np.minimum(rrf / top_rrf, 1.0)).astype(
                    np.float32
                )
        else:
            fused = rrf.astype(np.float32)
        page = select_page(
            ids,
            fused * factor,
            catalog=catalog,
            n=n,
            config=config.rerank,
            fresh=(mask & self.fresh_bit) > 0,
            reference=reference,
        )
        items = []
        for row, final in zip(page.rows.tolist(), page.scores.tolist(), strict=True):
            item = int(ids[row])
            items.append(
                Ranked(
                    item_id=item,
                    score=float(final),
                    sources=[name for k, name in enumerate(self.names) if mask[row] >> k & 1]
                    if explain
                    else [],
                    predictions={
                        k: float(predictions[k][row]) for k in OBJECTIVES if k in predictions
                    }
                    if explain
                    else {},
                    fused=float(fused[row]),
                    adjustments=[*filtered.notes.get(item, []), *page.notes.get(row, [])]
                    if explain
                    else [],
                )
            )
        return Result(
            items=items, candidates=candidates, dropped=filtered.dropped, ranked_by=ranked_by
        )

    def head(self, user_id: int, ids: np.ndarray) -> np.ndarray | None:
        """The learned blend's head source's scores of ``ids`` (None when it blends none)."""
        source = self.bundle.sources.get(self.blend.head)
        if not self.blend.weight or source is None:
            return None
        depth = max(self.quotas.get(self.blend.head, 0), 1) * 2
        return head_scores(source.recommend_one(user_id, depth)[0], ids)

    def features(self, user_id: int, ids: np.ndarray, next_items: np.ndarray) -> np.ndarray:
        """Feature rows for one user's candidates."""
        catalog, state = self.catalog, self.bundle.state
        if self.covisit is not None:
            seeds, weights = self.covisit.seed_items(user_id)
            covisit = self.covisit.pair_scores(seeds, weights, ids)
        else:
            covisit = np.zeros(len(ids), np.float32)
        followed = state.follows.get(user_id)
        follows = (
            np.isin(catalog.creator[ids], list(followed)) if followed else np.zeros(len(ids))
        ).astype(np.float32)
        affinity = (
            self.als.affinity(user_id, ids)
            if self.als is not None
            else np.zeros(len(ids), np.float32)
        )
        ease = self.bundle.sources.get("ease")
        stats = self.bundle.stats
        assert stats is not None  # run() only asks for features when the bundle has a ranker
        return build_features(
            stats,
            catalog,
            users=np.full(len(ids), user_id, np.int64),
            items=ids,  # type: ignore[arg-type]
            now_ms=self.clock.now_ms(),
            als_affinity=affinity,
            covisit_score=covisit,
            follows_creator=follows,
            is_next_item=np.isin(ids, next_items).astype(np.float32),
            ease_score=ease.scores_of(user_id, ids) if isinstance(ease, EaseSource) else None,
        )
