"""How simulated users react to the ads on a page: impressions, clicks, conversions with their
purchase, and leaving the app at an ad; as events the ads service charges."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from laotie.sim.behaviour import PageOutcome, ad_response
from laotie.sim.config import BehaviourConfig
from laotie.sim.policies import Served
from laotie.sim.users import Population

if TYPE_CHECKING:
    from laotie.sim.runner import DaySummary, UserTotals


class AdReactions:
    """Draws each user's reaction to the ads they scrolled past."""

    def __init__(
        self,
        behaviour: BehaviourConfig,
        population: Population,
        totals: UserTotals,
        *,
        clock: Any,
        horizon_ms: int,
    ) -> None:
        self.behaviour = behaviour
        self.population = population
        self.totals = totals
        self.clock = clock
        self.horizon_ms = horizon_ms

    def react(
        self,
        served: Served,
        outcome: PageOutcome,
        user: int,
        rng: np.random.Generator,
        summary: DaySummary,
        emit: Callable[..., None],
        ts: int,
    ) -> int | None:
        """Emit the ad events of a page; the position of an ad the user left at, if any."""
        sens = float(self.population.aigc_sensitivity[user])
        for ad in served.ads:
            if ad.position > outcome.seen:
                continue
            click, convert, leave, order_fen = ad_response(
                self.behaviour, sensitivity=sens, aigc=ad.aigc, rng=rng
            )
            # the ads service stamped the placement with the platform clock, which never runs
            # back: when an earlier-starting session is simulated after a later one, the page
            # was served after ``ts``, and the user can only react after that
            served_ms = max(ts, self.clock.now_ms())
            at = served_ms + ad.position * 10_000
            if at >= self.horizon_ms:
                continue
            emit("ad_impression", None, at, ref=ad.impression_id, request_id=served.request_id)
            summary.ad_impressions += 1
            if click:
                emit("ad_click", None, at + 2_000, ref=ad.impression_id)
                summary.ad_clicks += 1
                self.totals.ad_clicks[user] += 1
            if convert:
                emit("ad_conversion", None, at + 60_000, ref=ad.impression_id)
                emit("purchase", None, at + 61_000, ref=ad.impression_id, amount_fen=order_fen)
                summary.ad_conversions += 1
            if leave:
                return ad.position
        return None
