"""What serving knows of the active campaigns: their specs, and a snapshot of them as arrays
with their targeting index, rebuilt whenever campaigns change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from laotie.ads.auction import CPM, OBJECTIVE_CODES, OCPC, bid_ecpm, rank, scores
from laotie.ads.schemas import Objective
from laotie.ads.targeting import TargetingIndex

ALL_HOURS = (1 << 24) - 1
#: campaigns scored in the first step of the search; each further step is four times larger
_FIRST_CHUNK = 256
#: how strongly predicted CTR (relative to the average) scales the rank score
QUALITY_EXPONENT = 0.5
QUALITY_BOUNDS = (0.5, 2.0)


class RateModel(Protocol):
    """What serving needs from a pCTR/pCVR model."""

    base_rate_: float

    def offsets(self, entity: np.ndarray) -> np.ndarray: ...

    def predict_from_offsets(
        self, offsets: np.ndarray, *, match: np.ndarray, position: np.ndarray | int
    ) -> np.ndarray: ...


@dataclass(frozen=True)
class CreativeSpec:
    """What serving needs of a creative."""

    pk: int
    external_id: str
    title: str
    landing_url: str
    aigc: bool = False
    aigc_labels: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignSpec:
    """What serving needs of an active campaign (money in fen, times in epoch ms)."""

    pk: int
    external_id: str
    advertiser_pk: int
    objective: Objective
    bid_fen: int
    daily_budget_fen: int
    frequency_cap: int
    creatives: Sequence[CreativeSpec]
    categories: Sequence[str] = ()
    kinds: Sequence[str] = ()
    segments: Sequence[str] = ()
    regions: Sequence[str] = ()
    start_ms: int | None = None
    end_ms: int | None = None
    hours: Sequence[int] = ()


class ServingIndex:
    """Active campaigns as arrays plus their targeting index."""

    def __init__(self, campaigns: Sequence[CampaignSpec]) -> None:
        self.campaigns = list(campaigns)
        self.size = len(self.campaigns)
        c = self.campaigns
        self.pk = np.array([x.pk for x in c], dtype=np.int64)
        self.position_of = {x.pk: j for j, x in enumerate(c)}
        self.objective = np.array([OBJECTIVE_CODES[Objective(x.objective)] for x in c], np.int8)
        self.bid_fen = np.array([x.bid_fen for x in c], dtype=float)
        self.budget_fen = np.array([x.daily_budget_fen for x in c], dtype=float)
        self.frequency_cap = np.array([x.frequency_cap for x in c], dtype=np.int64)
        self.start_ms = np.array([x.start_ms or 0 for x in c], dtype=np.int64)
        self.end_ms = np.array(
            [x.end_ms if x.end_ms is not None else np.iinfo(np.int64).max for x in c], np.int64
        )
        self.hours = np.array(
            [sum(1 << h for h in x.hours) if x.hours else ALL_HOURS for x in c], dtype=np.int64
        )
        advertisers = sorted({x.advertiser_pk for x in c})
        self.advertiser_pks = np.array(advertisers, dtype=np.int64)
        self.advertiser_index = np.searchsorted(
            self.advertiser_pks, np.array([x.advertiser_pk for x in c], dtype=np.int64)
        )
        self.targeting = TargetingIndex(
            categories=[list(x.categories) for x in c],
            kinds=[[str(k) for k in x.kinds] for x in c],
            segments=[list(x.segments) for x in c],
            regions=[list(x.regions) for x in c],
        )
        self.creative_of = {
            cr.pk: (j, a) for j, x in enumerate(c) for a, cr in enumerate(x.creatives)
        }

    def at_cap(self, served: Mapping[int, int]) -> list[int]:
        """Positions of the campaigns whose frequency cap ``served`` (ads shown to a user per
        campaign pk) has reached."""
        where = self.position_of
        return [
            j
            for pk, n in served.items()
            if (j := where.get(pk)) is not None and n >= self.frequency_cap[j]
        ]


@dataclass(frozen=True)
class CampaignScores:
    """Per campaign, the request-independent part of the auction; lists hold [no interest
    match, interest match] (the slot position is fixed at the page's first ad slot)."""

    pctr_offset: np.ndarray
    pcvr_offset: np.ndarray
    pctr: list[np.ndarray]
    pcvr: list[np.ndarray]
    bid: list[np.ndarray]
    quality: list[np.ndarray]
    score: list[np.ndarray]
    bid2: np.ndarray
    quality2: np.ndarray
    #: best possible score per campaign, with a -inf sentinel past the end
    upper_score: np.ndarray
    #: the largest single charge each campaign can incur, in fen (for the hard stops)
    max_charge_fen: np.ndarray


def score_campaigns(
    index: ServingIndex,
    *,
    pctr_model: RateModel,
    pcvr_model: RateModel,
    reserve_ecpm_fen: float,
) -> CampaignScores:
    """Per campaign and interest match (0/1): pCTR, pCVR, bid eCPM, quality and rank score."""
    pctr_offset = pctr_model.offsets(index.pk)
    pcvr_offset = pcvr_model.offsets(index.pk)
    base = max(pctr_model.base_rate_, 1e-9)
    pctrs, pcvrs, bids, qualities = [], [], [], []
    for m in (0.0, 1.0):
        match = np.full(index.size, m)
        pctr = pctr_model.predict_from_offsets(pctr_offset, match=match, position=0)
        pcvr = pcvr_model.predict_from_offsets(pcvr_offset, match=match, position=0)
        pctrs.append(pctr)
        pcvrs.append(pcvr)
        bids.append(bid_ecpm(index.objective, index.bid_fen, pctr, pcvr))
        qualities.append(np.clip((pctr / base) ** QUALITY_EXPONENT, *QUALITY_BOUNDS))
    score = [
        scores(b, q, reserve_ecpm=reserve_ecpm_fen) for b, q in zip(bids, qualities, strict=True)
    ]
    pcvr_max = np.maximum(pcvrs[0], pcvrs[1])
    per_click = np.where(index.objective == OCPC, np.ceil(index.bid_fen * pcvr_max), index.bid_fen)
    return CampaignScores(
        pctr_offset=pctr_offset,
        pcvr_offset=pcvr_offset,
        pctr=pctrs,
        pcvr=pcvrs,
        bid=bids,
        quality=qualities,
        score=score,
        bid2=np.vstack(bids),
        quality2=np.vstack(qualities),
        upper_score=np.append(np.maximum(score[0], score[1]), -np.inf),
        max_charge_fen=np.where(index.objective == CPM, np.ceil(index.bid_fen / 1000.0), per_click),
    )


def search_best(
    eligible: np.ndarray,
    match: np.ndarray,
    need: int,
    *,
    score: Sequence[np.ndarray],
    upper_score: np.ndarray,
    keep: Callable[[int, int], np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``need`` best eligible campaigns and their scores, best first.

    ``score`` holds each campaign's score without and with an interest match, ``upper_score``
    the best of the two (with a -inf sentinel past the end); ``keep(start, end)`` draws which
    of those campaigns pacing lets bid (None: nobody is throttled). Campaigns are stored in
    descending order of their best possible score, so the search walks growing chunks from
    the top and stops as soon as the found scores beat every campaign not yet looked at --
    usually within the first chunk.
    """
    score0, score1 = score
    size = eligible.size
    found: np.ndarray | None = None
    found_score = np.empty(0)
    start, chunk = 0, _FIRST_CHUNK
    while True:
        end = min(size, start + chunk)
        ok = eligible[start:end]
        if keep is not None:
            ok = ok & keep(start, end)
        sc = np.where(ok, np.where(match[start:end], score1[start:end], score0[start:end]), -np.inf)
        best = rank(sc, need)
        if found is None:
            found, found_score = best + start, sc[best]
        elif best.size:
            found = np.concatenate([found, best + start])
            found_score = np.concatenate([found_score, sc[best]])
            order = rank(found_score, need)
            found, found_score = found[order], found_score[order]
        if end >= size or (found.size >= need and found_score[need - 1] >= upper_score[end]):
            break
        start, chunk = end, chunk * 4
    return found, found_score
