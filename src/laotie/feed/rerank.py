"""Re-ranking: trust gate, seen filter, AIGC demotion, then greedy MMR under page constraints;
then the page itself: the ad slots filled and merged with the organic entries.

Hard constraints: blocked (and under-review) items never appear; seen items are dropped except
the next episode/chapter of a series or novel in progress, and so are the later ones of it (a
page that offers episode 45 to a user about to watch 23 spoils the story); at most
``creator_cap`` items per creator and ``floor(aigc_cap * n)`` AIGC items per page. Kind caps
(``kind_caps``) hold while the page can still be filled without breaking them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from laotie.core.aigc import aigc_notice
from laotie.core.contracts import AdPlacement, AdRequest, AdSlotFiller, TrustDecision
from laotie.core.feedconfig import RerankConfig
from laotie.feed.catalog import AIGC_NONE, AIGC_STATUSES, AIGC_SUSPECTED, KINDS, Catalog
from laotie.feed.schemas import AdEntry, FeedEntry, FeedExplain

if TYPE_CHECKING:  # the pipeline runs the re-ranking, so it imports this module
    from laotie.feed.pipeline import Ranked

log = logging.getLogger(__name__)
_WITHHELD = (TrustDecision.BLOCK, TrustDecision.REVIEW)


@dataclass
class Filtered:
    """Candidates that survived the filters, with a score factor and notes per candidate."""

    ids: np.ndarray
    factor: np.ndarray
    notes: dict[int, list[str]] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)


def filter_candidates(
    ids: np.ndarray,
    *,
    catalog: Catalog,
    seen: np.ndarray,
    next_items: np.ndarray,
    decisions: Mapping[int, TrustDecision],
    config: RerankConfig,
) -> Filtered:
    """Drop seen (except next items), withheld items and items past a next item in its
    series/novel; demotion factors for the rest."""
    ids = np.asarray(ids, dtype=np.int64)
    dropped: dict[str, int] = {}
    is_seen = np.isin(ids, seen) & ~np.isin(ids, next_items)
    dropped["seen"] = int(is_seen.sum())
    ids = ids[~is_seen]
    ahead = items_ahead(ids, np.asarray(next_items, dtype=np.int64), catalog)
    if ahead.any():
        dropped["ahead"] = int(ahead.sum())
        ids = ids[~ahead]
    factor = np.ones(len(ids), np.float32)
    notes: dict[int, list[str]] = {}
    if decisions:
        withheld = np.array([decisions.get(int(i)) in _WITHHELD for i in ids], dtype=bool)
        dropped["trust"] = int(withheld.sum())
        ids, factor = ids[~withheld], factor[~withheld]
        for row, item in enumerate(ids.tolist()):
            if decisions.get(item) == TrustDecision.DEMOTE:
                factor[row] *= config.demote_factor
                notes.setdefault(item, []).append(f"trust demote x{config.demote_factor:g}")
    suspected = catalog.aigc[ids] == AIGC_SUSPECTED
    factor[suspected] *= config.suspected_factor
    for item in ids[suspected].tolist():
        notes.setdefault(item, []).append(f"unlabelled AIGC x{config.suspected_factor:g}")
    return Filtered(ids=ids, factor=factor, notes=notes, dropped=dropped)


def items_ahead(ids: np.ndarray, next_items: np.ndarray, catalog: Catalog) -> np.ndarray:
    """Per id: is it later in a series/novel than the user's next item there."""
    if not len(next_items) or not len(ids):
        return np.zeros(len(ids), bool)
    containers = catalog.container[next_items]
    order = np.argsort(containers)
    containers, positions = containers[order], catalog.position[next_items][order]
    mine = catalog.container[ids]
    at = np.minimum(np.searchsorted(containers, mine), len(containers) - 1)
    return (mine >= 0) & (containers[at] == mine) & (catalog.position[ids] > positions[at])


@dataclass
class Page:
    """Chosen candidate rows (indices into the input), best first, with notes."""

    rows: np.ndarray
    scores: np.ndarray
    notes: dict[int, list[str]]


def select_page(
    ids: np.ndarray,
    scores: np.ndarray,
    *,
    catalog: Catalog,
    n: int,
    config: RerankConfig,
    fresh: np.ndarray | None = None,
    reference: np.ndarray | None = None,
) -> Page:
    """Greedy MMR: each step takes the best ``relevance - lambda * max similarity`` allowed;
    at ``config.fresh_slots`` only the ``fresh`` candidates (a mask) compete, while any is
    allowed. Rows outside ``reference`` (a mask; default: every row) are contenders kept only for
    a fresh slot: they compete there alone, and relevance is scaled by the reference rows, so
    with or without them the other positions are the same."""
    ids = np.asarray(ids, dtype=np.int64)
    m = len(ids)
    if not m or n <= 0:
        return Page(rows=np.empty(0, np.int64), scores=np.empty(0, np.float32), notes={})
    scores = np.asarray(scores, dtype=np.float64)
    ranked = np.ones(m, bool) if reference is None else np.asarray(reference, bool)
    scale = scores[ranked] if ranked.any() else scores
    if scores.min() > 0:  # fused scores: relevance relative to the best candidate
        relevance = scores / scale.max()
    else:
        span = scale.max() - scale.min()
        relevance = (scores - scale.min()) / span if span > 0 else np.ones(m)
    category = catalog.category[ids]
    creator = catalog.creator[ids]
    _, creator_code = np.unique(creator, return_inverse=True)
    creator_count = np.zeros(creator_code.max() + 1, np.int64)
    has_creator = creator >= 0
    kind = catalog.kind[ids].astype(np.int64)
    kind_limit = np.array(
        [max(1, int(np.floor(getattr(config.kind_caps, k) * n))) for k in KINDS], np.int64
    )
    if len(np.unique(kind)) < 2:
        kind_limit[:] = n
    kind_count = np.zeros(len(KINDS), np.int64)
    aigc = catalog.aigc[ids] != AIGC_NONE
    aigc_limit = int(np.floor(config.aigc_cap * n))
    aigc_count = 0
    fresh = np.zeros(m, bool) if fresh is None else np.asarray(fresh, bool)
    fresh_slot = np.zeros(n, bool)
    fresh_slot[[p for p in config.fresh_slots if p < n]] = True
    available = np.ones(m, bool)
    max_similarity = np.zeros(m)
    rows: list[int] = []
    values: list[float] = []
    notes: dict[int, list[str]] = {}
    original_rank = np.empty(m, np.int64)
    original_rank[np.argsort(-scores, kind="stable")] = np.arange(m)
    for _ in range(min(n, m)):
        hard = available & (~has_creator | (creator_count[creator_code] < config.creator_cap))
        hard &= ~aigc | (aigc_count < aigc_limit)
        allowed = hard & (kind_count[kind] < kind_limit[kind])
        if not allowed.any():
            allowed = hard
            if not allowed.any():
                break
        position = len(rows)
        in_slot = fresh_slot[position] and bool((allowed & fresh).any())
        if in_slot:
            allowed = allowed & fresh
        elif (allowed & ranked).any():  # contenders kept only for a fresh slot wait for it
            allowed = allowed & ranked
        if config.creator_gap and rows:  # soft: kept while another candidate is allowed
            last = rows[-config.creator_gap :]
            recent = np.zeros(len(creator_count), bool)
            recent[creator_code[last][has_creator[last]]] = True
            apart = allowed & ~(has_creator & recent[creator_code])
            if apart.any():
                allowed = apart
        mmr = relevance - config.mmr_lambda * max_similarity
        row = int(np.argmax(np.where(allowed, mmr, -np.inf)))
        rows.append(row)
        values.append(float(mmr[row]))
        row_notes = []
        if original_rank[row] != position:
            row_notes.append(f"rank {original_rank[row] + 1}->{position + 1}")
        if max_similarity[row] > 0:
            row_notes.append(f"diversity -{config.mmr_lambda * max_similarity[row]:.3f}")
        if in_slot:
            row_notes.append(f"fresh slot {position + 1}")
        if row_notes:
            notes[row] = row_notes
        available[row] = False
        if has_creator[row]:
            creator_count[creator_code[row]] += 1
        kind_count[kind[row]] += 1
        aigc_count += int(aigc[row])
        similarity = config.category_similarity * (category == category[row])
        if has_creator[row]:
            similarity = similarity + config.creator_similarity * (creator == creator[row])
        np.maximum(max_similarity, similarity, out=max_similarity)
    return Page(rows=np.asarray(rows, np.int64), scores=np.asarray(values, np.float32), notes=notes)


def fill_ad_slots(
    ad_filler: AdSlotFiller,
    *,
    slots: list[int],
    user: int,
    user_external_id: str,
    request_id: str,
    now_ms: int,
) -> list[AdPlacement]:
    """The ads for a page's ``slots`` (positions); none when the filler fails, since an ad
    failure must never fail the feed."""
    if not slots:
        return []
    try:
        placements = ad_filler.fill(
            AdRequest(
                user_id=user,
                user_external_id=user_external_id,
                request_id=request_id,
                slot_positions=slots,
                now_ms=now_ms,
            )
        )
    except Exception:
        log.exception("ad slot filler failed for request %s", request_id)
        return []
    return [p for p in placements if p.position in slots]


def build_page(
    items: Sequence[Ranked],
    ads: Sequence[AdPlacement],
    *,
    catalog: Catalog,
    n: int,
    explain: bool,
) -> tuple[list[FeedEntry | AdEntry], list[int]]:
    """Up to ``n`` entries: each ad at its position, the ranked items in order around them;
    and the internal ids of the items shown."""
    entries: list[FeedEntry | AdEntry] = []
    ad_positions = {ad.position for ad in ads}
    organic = iter(items)
    shown: list[int] = []
    for position in range(n):
        if position in ad_positions:
            ad = next(a for a in ads if a.position == position)
            entries.append(
                AdEntry(
                    position=position,
                    impression_id=ad.impression_id,
                    campaign_id=ad.campaign_id,
                    creative_id=ad.creative_id,
                    title=ad.title,
                    landing_url=ad.landing_url,
                    aigc_notice=aigc_notice(ad.aigc_status),
                )
            )
            continue
        ranked = next(organic, None)
        if ranked is None:
            break
        shown.append(ranked.item_id)
        status = AIGC_STATUSES[int(catalog.aigc[ranked.item_id])]
        entries.append(
            FeedEntry(
                position=position,
                id=str(catalog.external_id[ranked.item_id]),
                kind=KINDS[int(catalog.kind[ranked.item_id])],
                title=str(catalog.title[ranked.item_id]),
                score=ranked.score,
                aigc_status=status,
                aigc_notice=aigc_notice(status),
                explain=FeedExplain(
                    sources=ranked.sources,
                    predictions=ranked.predictions,
                    fused=ranked.fused,
                    adjustments=ranked.adjustments,
                )
                if explain
                else None,
            )
        )
    return entries, shown
