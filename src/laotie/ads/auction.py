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
}
CPM, CPC, OCPC = 0, 1, 2


def bid_ecpm(
    objective: np.ndarray, bid_fen: np.ndarray, pctr: np.ndarray, pcvr: np.ndarray
) -> np.ndarray:
    """Bid eCPM (fen per mille): CPM bid; CPC bid x pCTR; oCPC target x pCTR x pCVR."""
    per_click = np.where(objective == OCPC, bid_fen * pcvr, bid_fen)
    return np.where(objective == CPM, bid_fen, per_click * pctr * 1000.0)


def gsp(
    bid: np.ndarray, quality: np.ndarray, *, reserve_ecpm: float, slots: int
) -> tuple[np.ndarray, np.ndarray]:
    """Run GSP for ``slots`` slots: (winner indices in rank order, clearing eCPM per winner).

    Candidates bidding under the reserve cannot win. Each winner pays
    ``max(reserve, next_score / own_quality)``, capped at its own bid.
    """
    if slots <= 0 or bid.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    eligible = np.flatnonzero(bid >= reserve_ecpm)
    if eligible.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    score = bid[eligible] * quality[eligible]
    k = min(slots + 1, eligible.size)
    top = np.argpartition(-score, k - 1)[:k] if k < eligible.size else np.arange(eligible.size)
    top = top[np.lexsort((top, -score[top]))]
    winners_local = top[:slots]
    next_score = np.zeros(winners_local.size)
    if top.size > 1:
        n_next = min(winners_local.size, top.size - 1)
        next_score[:n_next] = score[top[1 : n_next + 1]]
    winners = eligible[winners_local]
    price = np.maximum(reserve_ecpm, next_score / quality[winners])
    price = np.minimum(price, bid[winners])
    return winners, price


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
