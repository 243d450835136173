"""eCPM scoring and the generalized second-price (GSP) auction, vectorised in numpy.

Prices are eCPM in fen per 1,000 impressions, which is the same number as milli-fen per
impression. Rank score = bid eCPM x quality; the winner of a slot pays the least eCPM that
keeps its rank (next score / own quality), never less than the reserve nor more than its bid.
"""

from __future__ import annotations

import math

import numpy as np

from laotie.ads.schemas import Objective

#: dense codes of objectives in the serving arrays
OBJECTIVE_CODES: dict[Objective, int] = {
    Objective.IMPRESSIONS: 0,
    Objective.CLICKS: 1,
    Objective.CONVERSIONS: 2,
    Objective.PURCHASES: 3,
}
CPM, CPC, OCPC, PURCHASE = 0, 1, 2, 3
#: up to this many ranks are found by repeated argmax instead of a partial sort
_ARGMAX_RANKS = 8


def bid_ecpm(
    objective: np.ndarray, bid_fen: np.ndarray, pctr: np.ndarray, pcvr: np.ndarray
) -> np.ndarray:
    """Bid eCPM (fen per mille): CPM bid; CPC bid x pCTR; oCPC (to a conversion or a
    purchase) target x pCTR x pCVR."""
    per_click = np.where((objective == OCPC) | (objective == PURCHASE), bid_fen * pcvr, bid_fen)
    return np.where(objective == CPM, bid_fen, per_click * pctr * 1000.0)


def rank(score: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` highest finite scores, best first (ties: lower index first)."""
    count = min(count, score.size)
    if count <= _ARGMAX_RANKS:
        # a few argmax passes beat a partial sort for the usual one to three slots
        ranked = []
        work = score.copy()
        for _ in range(count):
            i = int(np.argmax(work))
            if work[i] == -np.inf:
                break
            ranked.append(i)
            work[i] = -np.inf
        return np.array(ranked, dtype=np.int64)
    eligible = np.flatnonzero(score > -np.inf)
    part = eligible
    if count < eligible.size:
        part = eligible[np.argpartition(-score[eligible], count - 1)[:count]]
    return part[np.lexsort((part, -score[part]))]


def second_prices(
    top: np.ndarray,
    score: np.ndarray,
    bid: np.ndarray,
    quality: np.ndarray,
    *,
    reserve_ecpm: float,
    slots: int,
    ranked: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """GSP prices for candidates ``top`` in rank order: (winners, clearing eCPM per winner).

    ``score``/``bid``/``quality`` are indexed by candidate, or (``ranked``) already aligned
    with ``top``.
    """
    if not ranked:
        score, bid, quality = score[top], bid[top], quality[top]
    n_win = min(slots, top.size)
    next_score = np.zeros(n_win)
    n_next = min(n_win, max(top.size - 1, 0))
    next_score[:n_next] = score[1 : n_next + 1]
    price = np.maximum(reserve_ecpm, next_score / quality[:n_win])
    return top[:n_win], np.minimum(price, bid[:n_win])


def scores(bid: np.ndarray, quality: np.ndarray, *, reserve_ecpm: float) -> np.ndarray:
    """Rank scores bid x quality; -inf where the bid is under the reserve (cannot win)."""
    return np.where(bid >= reserve_ecpm, bid * quality, -np.inf)


def gsp(
    bid: np.ndarray, quality: np.ndarray, *, reserve_ecpm: float, slots: int
) -> tuple[np.ndarray, np.ndarray]:
    """Run GSP for ``slots`` slots: (winner indices in rank order, clearing eCPM per winner).

    Candidates bidding under the reserve (or at -inf: masked out) cannot win; ties go to the
    lower index. Each winner pays ``max(reserve, next_score / own_quality)``, capped at its
    own bid.
    """
    if slots <= 0 or bid.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    score = scores(bid, quality, reserve_ecpm=reserve_ecpm)
    top = rank(score, slots + 1)
    return second_prices(top, score, bid, quality, reserve_ecpm=reserve_ecpm, slots=slots)


def impression_price_millifen(price_ecpm: float) -> int:
    """What a CPM impression costs, in milli-fen (floor, so never above the bid)."""
    return math.floor(price_ecpm)


def click_price_fen(price_ecpm: float, pctr: float, *, cap_fen: float) -> int:
    """What a click costs in whole fen: the clearing eCPM per expected click, rounded up.

    Rounding up to whole fen stays within ``cap_fen`` rounded up, which for a CPC bid (an
    integer) is the bid itself; the result is at least 1 fen.
    """
    raw = price_ecpm / (1000.0 * max(pctr, 1e-9))
    price = math.ceil(min(raw, cap_fen) - 1e-9)
    return max(1, min(price, math.ceil(cap_fen - 1e-9)))


def conversion_price_fen(price_ecpm: float, pctr: float, pcvr: float, *, cap_fen: float) -> int:
    """What a purchase costs a purchase-goal oCPC campaign, in whole fen: the clearing eCPM
    per expected purchase (pCTR x pCVR per impression), rounded up, at most the target bid
    and at least 1 fen."""
    raw = price_ecpm / (1000.0 * max(pctr * pcvr, 1e-12))
    price = math.ceil(min(raw, cap_fen) - 1e-9)
    return max(1, min(price, math.ceil(cap_fen - 1e-9)))
