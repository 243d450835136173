"""The serving side of ads: the slot filler over a snapshot of the active campaigns.

``ServingIndex`` (``ads.index``) is rebuilt when campaigns change; ``Server`` keeps the
fast-moving state (today's spend, balances, pacing probabilities, frequency counts, creative
bandits, the book of served placements) and runs one GSP auction per ad slot. All per-request
work is numpy over the campaign arrays.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from laotie.ads.auction import second_prices
from laotie.ads.bandit import ThompsonSampler
from laotie.ads.counters import AdCounters, FrequencyCaps
from laotie.ads.index import RateModel, ServingIndex, score_campaigns, search_best
from laotie.ads.pacing import PacingController, TrafficProfile
from laotie.ads.placements import Placement, PlacementBook, ad_placement, placement_prices
from laotie.core.clock import MS_PER_HOUR, MS_PER_MINUTE
from laotie.core.contracts import AdPlacement, AdRequest
from laotie.store.live import MemoryLiveState

#: how often a process reads the spend every process has reserved today (ms), so a campaign
#: another process exhausted stops being served here too
SPEND_SYNC_MS = 2_000


def ad_positions(
    slot_positions: Sequence[int], *, min_gap: int, items_since_last_ad: int | None = None
) -> list[int]:
    """The requested slots the ad load rules allow: sorted, each at least ``min_gap`` after the
    previous ad (so two ads are never adjacent), the first also far enough from the last ad
    of the previous page (``items_since_last_ad`` organic items ago)."""
    kept: list[int] = []
    last = None if items_since_last_ad is None else -items_since_last_ad - 1
    for position in sorted(set(int(p) for p in slot_positions)):
        if position < 0:
            continue
        if last is None or position - last >= min_gap:
            kept.append(position)
            last = position
    return kept


def creative_samplers(
    index: ServingIndex,
    *,
    prior_ctr: np.ndarray,
    counts: Mapping[int, tuple[int, int]],
    rng: np.random.Generator,
) -> list[ThompsonSampler]:
    """One Thompson sampler per campaign over its creatives, centred on the campaign's
    predicted CTR and updated with each creative's (impressions, clicks) so far."""
    samplers = []
    for j, campaign in enumerate(index.campaigns):
        sampler = ThompsonSampler(
            max(1, len(campaign.creatives)),
            prior_mean=float(prior_ctr[j]),
            random_state=int(rng.integers(1 << 31)),
        )
        for arm, creative in enumerate(campaign.creatives):
            imps, clicks = counts.get(creative.pk, (0, 0))
            sampler.update(arm, trials=imps, successes=min(clicks, imps))
        samplers.append(sampler)
    return samplers


class Server:
    """Fills ad slots: targeting, schedule, budget and balance checks, pacing, frequency caps,
    eCPM x quality ranking, GSP pricing, creative choice by Thompson sampling.

    Everything that does not depend on the request is precomputed: per campaign the bid eCPM,
    quality and pCTR/pCVR for an interest match and for none (the models' other feature, the
    slot position, is fixed at the page's first ad slot for ranking), and a "may serve" mask
    (schedule, hour, budget room, balance) refreshed every minute and on every charge.
    """

    def __init__(
        self,
        index: ServingIndex,
        *,
        pctr_model: RateModel,
        pcvr_model: RateModel,
        reserve_ecpm_fen: float,
        min_gap: int,
        timezone: str = "UTC",
        pacing_interval_ms: int = MS_PER_MINUTE,
        placement_ttl_ms: int = MS_PER_HOUR,
        max_placements: int = 500_000,
        random_state: int | None = None,
        counters: AdCounters | None = None,
    ) -> None:
        self.reserve_ecpm_fen = reserve_ecpm_fen
        self.min_gap = min_gap
        self.timezone = timezone
        self.pacing_interval_ms = pacing_interval_ms
        self._zone = ZoneInfo(timezone)
        self._rng = np.random.default_rng(random_state)
        self._lock = threading.RLock()
        self.pacing = PacingController()
        self.traffic = TrafficProfile(timezone=timezone)
        #: today's spend, ads served per (user, campaign), placements: shared by all processes
        self.counters = counters or AdCounters(MemoryLiveState())
        self.placements = PlacementBook(
            ttl_ms=placement_ttl_ms, max_size=max_placements, counters=self.counters
        )
        self.frequency = FrequencyCaps(self.counters)
        self._spend_synced_ms: int | None = None
        self._day: str | None = None
        self._minute: int | None = None
        self._hour = 0
        self._last_step_ms: int | None = None
        self._requests_since_step = 0
        self._requests_this_minute = 0
        self.index = index
        self.pctr_model = pctr_model
        self.pcvr_model = pcvr_model
        self.load(index, spent_fen={}, balances_fen={}, creative_counts={}, frequency={})

    # --- state -------------------------------------------------------------------------------

    def load(
        self,
        index: ServingIndex,
        *,
        spent_fen: Mapping[int, int],
        balances_fen: Mapping[int, int],
        creative_counts: Mapping[int, tuple[int, int]],
        frequency: Mapping[tuple[int, int], int] | None = None,
        pctr_model: RateModel | None = None,
        pcvr_model: RateModel | None = None,
    ) -> None:
        """Swap in a new index with today's spend per campaign, balances per advertiser and
        (impressions, clicks) per creative; pacing probabilities carry over by campaign."""
        with self._lock:
            old_p = dict(
                zip(self.index.pk.tolist(), self.pacing.probability_.tolist(), strict=False)
            )
            if pctr_model is not None:
                self.pctr_model = pctr_model
            if pcvr_model is not None:
                self.pcvr_model = pcvr_model
            self.index = index
            self._precompute()
            order = np.argsort(-self.scores.upper_score[:-1], kind="stable")
            if np.any(order != np.arange(index.size)):
                # serve from campaigns sorted by best possible score (see ``_search``)
                index = self.index = ServingIndex([index.campaigns[i] for i in order])
            self.spent_fen = np.array([spent_fen.get(pk, 0) for pk in index.pk.tolist()], float)
            self.balance_fen = np.array(
                [balances_fen.get(pk, 0) for pk in index.advertiser_pks.tolist()], float
            )
            self.pacing.reset(index.size, spent_fen=self.spent_fen)
            self.pacing.probability_ = np.array([old_p.get(pk, 1.0) for pk in index.pk.tolist()])
            self._any_throttled = bool(np.any(self.pacing.probability_ < 1.0))
            self._precompute()
            self.samplers = creative_samplers(
                index, prior_ctr=self.scores.pctr[0], counts=creative_counts, rng=self._rng
            )
            if frequency is not None:
                self.frequency.load(frequency)
            self._minute = None

    def _precompute(self) -> None:
        self.scores = score_campaigns(
            self.index,
            pctr_model=self.pctr_model,
            pcvr_model=self.pcvr_model,
            reserve_ecpm_fen=self.reserve_ecpm_fen,
        )
        self._serve_ok = np.zeros(self.index.size, dtype=bool)

    def _refresh_mask(self, now_ms: int) -> None:
        index = self.index
        ok = (index.start_ms <= now_ms) & (now_ms < index.end_ms)
        ok &= (index.hours >> self._hour) & 1 == 1
        ok &= index.budget_fen - self.spent_fen >= self.scores.max_charge_fen
        ok &= self.balance_fen[index.advertiser_index] >= self.scores.max_charge_fen
        self._serve_ok = ok

    def _tick(self, now_ms: int) -> None:
        """Once a minute: roll the day, count traffic, step pacing, refresh the serve mask."""
        local = datetime.fromtimestamp(now_ms / 1000, tz=self._zone)
        self._hour = local.hour
        day = local.date().isoformat()
        if self._requests_this_minute and self._minute is not None:
            self.traffic.observe(self._minute * MS_PER_MINUTE, self._requests_this_minute)
        self._requests_this_minute = 0
        if day != self._day:
            if self._day is not None:
                self.spent_fen[:] = 0.0
                self.frequency.reset()
                self._spend_synced_ms = None
                self.pacing.reset(self.index.size)
                self._any_throttled = False
            self._day = day
        if self._last_step_ms is None:
            self._last_step_ms = now_ms
        if now_ms - self._last_step_ms >= self.pacing_interval_ms:
            self.pacing.step(
                spent_fen=self.spent_fen,
                budget_fen=self.index.budget_fen,
                interval_requests=self._requests_since_step,
                remaining_requests=self.traffic.expected_remaining(now_ms),
            )
            self._any_throttled = bool(np.any(self.pacing.probability_ < 1.0))
            self._requests_since_step = 0
            self._last_step_ms = now_ms
        self._minute = now_ms // MS_PER_MINUTE
        self._refresh_mask(now_ms)

    def _advertiser(self, advertiser_pk: int) -> int | None:
        pks = self.index.advertiser_pks
        a = int(np.searchsorted(pks, advertiser_pk))
        return a if a < pks.size and pks[a] == advertiser_pk else None

    def record_charge(self, *, campaign_pk: int, advertiser_pk: int, amount_fen: int) -> None:
        """Reflect a committed charge in today's spend and the advertiser's balance."""
        with self._lock:
            index = self.index
            j = index.position_of.get(campaign_pk)
            if j is not None:
                self.spent_fen[j] += amount_fen
                if index.budget_fen[j] - self.spent_fen[j] < self.scores.max_charge_fen[j]:
                    self._serve_ok[j] = False
            a = self._advertiser(advertiser_pk)
            if a is not None:
                self.balance_fen[a] -= amount_fen
                mine = index.advertiser_index == a
                self._serve_ok[mine & (self.balance_fen[a] < self.scores.max_charge_fen)] = False

    def record_balance(self, *, advertiser_pk: int, balance_fen: int) -> None:
        """Set an advertiser's balance after a top-up."""
        with self._lock:
            a = self._advertiser(advertiser_pk)
            if a is not None:
                self.balance_fen[a] = balance_fen
                self._minute = None  # re-check the serve mask on the next request

    def record_feedback(self, *, creative_pk: int, impressions: int = 0, clicks: int = 0) -> None:
        """Feed observed impressions/clicks of a creative to its campaign's bandit."""
        with self._lock:
            where = self.index.creative_of.get(creative_pk)
            if where is not None:
                j, arm = where
                self.samplers[j].update(arm, trials=impressions, successes=clicks)

    # --- serving -----------------------------------------------------------------------------

    def fill(self, request: AdRequest) -> list[AdPlacement]:
        """Winning ads for the request's allowed slots (possibly fewer, possibly none)."""
        with self._lock:
            return self._fill(request)

    def _sync_spend(self, now_ms: int) -> None:
        """Take today's spend from the shared counters where other processes added to it."""
        self._spend_synced_ms = now_ms
        if self._day is None:
            return
        where = self.index.position_of
        for pk, fen in self.counters.spent(self._day).items():
            j = where.get(pk)
            if j is not None and fen > self.spent_fen[j]:
                self.spent_fen[j] = fen
                if self.index.budget_fen[j] - fen < self.scores.max_charge_fen[j]:
                    self._serve_ok[j] = False

    def _fill(self, request: AdRequest) -> list[AdPlacement]:
        now = request.now_ms
        if now // MS_PER_MINUTE != self._minute:
            self._tick(now)
        if self._spend_synced_ms is None or now - self._spend_synced_ms >= SPEND_SYNC_MS:
            self._sync_spend(now)
        self._requests_this_minute += 1
        self._requests_since_step += 1
        ctx = request.context
        since = ctx.get("items_since_last_ad")
        positions = ad_positions(
            request.slot_positions,
            min_gap=self.min_gap,
            items_since_last_ad=None if since is None else int(since),
        )
        if not positions or self.index.size == 0:
            return []
        eligible, match = self.index.targeting.lookup(
            interests=ctx.get("interests") or (),
            kind=ctx.get("kind"),
            segment=ctx.get("segment"),
            region=ctx.get("region"),
        )
        eligible &= self._serve_ok
        eligible[self.index.at_cap(self.frequency.served(self._day, request.user_id))] = False
        top, top_score = search_best(
            eligible,
            match,
            len(positions) + 1,
            score=self.scores.score,
            upper_score=self.scores.upper_score,
            keep=self._pacing_draw if self._any_throttled else None,
        )
        if top.size == 0:
            return []
        k = match[top].astype(np.intp)
        winners, prices = second_prices(
            top,
            top_score,
            self.scores.bid2[k, top],
            self.scores.quality2[k, top],
            reserve_ecpm=self.reserve_ecpm_fen,
            slots=len(positions),
            ranked=True,
        )
        out = []
        for slot, (j, price) in enumerate(zip(winners.tolist(), prices.tolist(), strict=True)):
            cap = int(self.index.frequency_cap[j])
            pk = int(self.index.pk[j])
            day = self._day or ""
            if not self.frequency.serve(day=day, user_id=request.user_id, campaign_pk=pk, cap=cap):
                continue  # another process served this user the campaign's last allowed ad
            out.append(self._place(request, positions[slot], slot, j, price, bool(match[j])))
        self.placements.share([p.impression_id for p in out])
        return out

    def _pacing_draw(self, start: int, end: int) -> np.ndarray:
        return self._rng.random(end - start) < self.pacing.probability_[start:end]

    def _place(
        self,
        request: AdRequest,
        position: int,
        slot: int,
        j: int,
        price_ecpm: float,
        interest_match: bool,
    ) -> AdPlacement:
        k = int(interest_match)
        pctr, pcvr = float(self.scores.pctr[k][j]), float(self.scores.pcvr[k][j])
        campaign = self.index.campaigns[j]
        arm = self.samplers[j].choose() if len(campaign.creatives) > 1 else 0
        creative = campaign.creatives[arm]
        objective = int(self.index.objective[j])
        price_millifen, click_price = placement_prices(
            objective, price_ecpm, pctr=pctr, pcvr=pcvr, bid_fen=campaign.bid_fen
        )
        impression_id = f"imp_{request.now_ms:013x}{os.urandom(8).hex()}"
        placement = Placement(
            impression_id=impression_id,
            campaign_pk=campaign.pk,
            creative_pk=creative.pk,
            advertiser_pk=campaign.advertiser_pk,
            objective=objective,
            price_millifen=price_millifen,
            click_price_fen=click_price,
            pctr=pctr,
            pcvr=pcvr,
            user_id=request.user_id,
            position=slot,
            interest_match=interest_match,
            ts_ms=request.now_ms,
        )
        self.placements.remember(placement)
        return ad_placement(
            placement, creative=creative, campaign_id=campaign.external_id, position=position
        )
