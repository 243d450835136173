"""Charging: ad events from the event log become outcomes and, where billable, ledger charges.

The contract with whoever sends ad events: an ``ad_impression``, ``ad_click`` or
``ad_conversion`` event carries in ``ref`` the ``impression_id`` of the ``AdPlacement`` the
feed returned. Each (kind, impression id) is recorded once, whatever the number of events or
replays. CPM campaigns are billed per impression (milli-fen accumulated per campaign, whole
fen charged as they add up); CPC and oCPC campaigns are billed per click at the price fixed
in the auction; conversions are counted, never billed. A purchase-goal oCPC campaign is billed
per purchase instead (``bill_purchase``, called by commerce when an order from its ad is paid:
once per impression, at the clearing price per expected purchase, at most the target bid); an
``ad_conversion`` event for such a campaign proves no purchase and is refused. A charge that
would take a campaign more than 1% over its daily budget, or an advertiser below zero, is
recorded free of charge.

Money comes from server facts only: an event is charged to the budget day of the placement's
served time (recorded at serving), never to the day its client-given ``ts_ms`` names; an
event whose ``ts_ms`` lies outside the attribution window around the served time is refused
(counted, not recorded, not billed). A click must name a placement this server served.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from laotie.ads.auction import CPC, CPM, OBJECTIVE_CODES, OCPC, PURCHASE, conversion_price_fen
from laotie.ads.counters import AdCounters
from laotie.ads.placements import Placement
from laotie.ads.schemas import Objective
from laotie.ads.serving import Server
from laotie.core.clock import day_label
from laotie.core.events import EVENT_CODES
from laotie.store.db import Database
from laotie.store.live import MemoryLiveState
from laotie.store.repos import ads as repo

log = logging.getLogger(__name__)
AD_EVENT_KINDS = {"ad_impression": "impression", "ad_click": "click", "ad_conversion": "conversion"}
#: how far over its daily budget a campaign may be billed, as a fraction of the budget
OVERSPEND_TOLERANCE = 0.01
#: an ad event counts for money only within this window of its placement's served time (ms)
ATTRIBUTION_BEFORE_MS = 5 * 60 * 1000
ATTRIBUTION_AFTER_MS = 24 * 60 * 60 * 1000


@dataclass(frozen=True)
class AdEvent:
    """The fields of a logged event that charging reads."""

    client_event_id: str
    type: str
    ref: str | None
    ts_ms: int
    user_id: int


@dataclass
class ChargeSummary:
    """What a batch of ad events did."""

    recorded: int = 0
    duplicate: int = 0
    unmatched: int = 0
    refused: int = 0
    charged_fen: int = 0
    free: int = 0
    charges: list[tuple[int, int, int]] = field(default_factory=list)

    def add(self, other: ChargeSummary) -> None:
        """Fold another batch's counts into this one."""
        self.recorded += other.recorded
        self.duplicate += other.duplicate
        self.unmatched += other.unmatched
        self.refused += other.refused
        self.charged_fen += other.charged_fen
        self.free += other.free
        self.charges += other.charges


class Charger:
    """Turns ad events into outcomes and charges, exactly once per (kind, impression id)."""

    def __init__(
        self,
        db: Database,
        *,
        server: Server,
        timezone: str = "UTC",
        counters: AdCounters | None = None,
    ) -> None:
        self.db = db
        self.server = server
        self.timezone = timezone
        self._lock = threading.Lock()
        # fen billed per (campaign, local day), shared by every process charging this platform:
        # a charge reserves its amount there first, so processes together stay under a ceiling
        self.counters = counters or AdCounters(MemoryLiveState())
        self._pending: dict[tuple[int, str], int] = {}

    def handle(self, events: Sequence[Any]) -> ChargeSummary:
        """Record the ad events among ``events`` (objects with type, ref, ts_ms, user_id,
        client_event_id); other event types are ignored."""
        summary = ChargeSummary()
        ad_events = [e for e in events if e.type in AD_EVENT_KINDS]
        if not ad_events:
            return summary
        feedback: list[tuple[int, int, int]] = []
        with self._lock:
            self._pending = {}
            try:
                with self.db.session() as session:
                    for event in ad_events:
                        self._one(session, event, summary, feedback)
            except BaseException:
                for (campaign_pk, day), amount in self._pending.items():  # rolled back
                    self.counters.release_spend(campaign_pk=campaign_pk, day=day, amount_fen=amount)
                raise
            for campaign_pk, advertiser_pk, amount in summary.charges:
                self.server.record_charge(
                    campaign_pk=campaign_pk, advertiser_pk=advertiser_pk, amount_fen=amount
                )
            for creative_pk, imps, clicks in feedback:
                self.server.record_feedback(
                    creative_pk=creative_pk, impressions=imps, clicks=clicks
                )
        return summary

    def settle(self, *, since_ms: int, batch: int = 5_000) -> ChargeSummary:
        """Charge ad events in the hot log at or after ``since_ms`` that were not charged yet
        (e.g. the process stopped between an ingest commit and its hook). Safe to repeat:
        what was recorded before counts as a duplicate."""
        codes = {EVENT_CODES[name]: name for name in AD_EVENT_KINDS}
        with self.db.session() as session:
            rows = repo.ad_events_since(session, since_ms=since_ms, type_codes=list(codes))
        total = ChargeSummary()
        for start in range(0, len(rows), batch):
            events = [
                AdEvent(client_event_id=c, type=codes[t], ref=ref, ts_ms=ts, user_id=user)
                for c, t, ref, ts, user in rows[start : start + batch]
            ]
            total.add(self.handle(events))
        return total

    def _placement(self, session: Any, impression_id: str) -> Placement | None:
        placement = self.server.placements.get(impression_id)
        if placement is not None:
            return placement
        row = repo.get_outcome(session, kind="impression", impression_id=impression_id)
        if row is None:
            return None
        campaign = repo.campaign_by_pk(session, campaign_id=row.campaign_id)
        return Placement(
            impression_id=impression_id,
            campaign_pk=row.campaign_id,
            creative_pk=row.creative_id,
            advertiser_pk=row.advertiser_id,
            objective=OBJECTIVE_CODES[Objective(campaign.objective)],
            price_millifen=row.price_millifen,
            click_price_fen=row.click_price_fen,
            pctr=row.pctr,
            pcvr=row.pcvr,
            user_id=row.user_id,
            position=row.position,
            interest_match=row.interest_match,
            ts_ms=row.ts_ms,
        )

    def _one(
        self,
        session: Any,
        event: Any,
        summary: ChargeSummary,
        feedback: list[tuple[int, int, int]],
    ) -> None:
        kind = AD_EVENT_KINDS[event.type]
        impression_id = event.ref
        if not impression_id:
            summary.unmatched += 1
            return
        if repo.get_outcome(session, kind=kind, impression_id=impression_id) is not None:
            summary.duplicate += 1
            return
        placement = self._placement(session, impression_id)
        if placement is None:
            log.warning(
                "ad event %s names unknown impression %r", event.client_event_id, impression_id
            )
            summary.unmatched += 1
            return
        if not self._attributable(event, placement):
            summary.refused += 1
            return
        if kind == "conversion" and placement.objective == PURCHASE:
            log.warning(
                "ad event %s: a purchase-goal conversion is billed from the paid order only",
                event.client_event_id,
            )
            summary.refused += 1
            return
        # the budget day is the day the ad was served, whatever ts_ms the client sent
        day = day_label(placement.ts_ms, self.timezone)
        due = 0
        if kind == "impression" and placement.objective == CPM:
            due = repo.add_cpm_carry(
                session, campaign_id=placement.campaign_pk, millifen=placement.price_millifen
            )
        elif kind == "click" and placement.objective in (CPC, OCPC):
            due = placement.click_price_fen
        amount, note = self._record(
            session, placement, kind, event.client_event_id, due, event.ts_ms, day
        )
        summary.recorded += 1
        if amount:
            summary.charged_fen += amount
            summary.charges.append((placement.campaign_pk, placement.advertiser_pk, amount))
        if note:
            summary.free += 1
        if kind in ("impression", "click"):
            feedback.append(
                (placement.creative_pk, int(kind == "impression"), int(kind == "click"))
            )

    def _record(
        self,
        session: Any,
        placement: Placement,
        kind: str,
        event_id: str,
        due: int,
        ts_ms: int,
        day: str,
    ) -> tuple[int, str | None]:
        """Bill ``due`` fen (if any) and record the (kind, impression) outcome once."""
        amount, note, journal_id = self._bill(
            session, placement, kind, placement.impression_id, due, ts_ms, day
        )
        repo.add_outcome(
            session,
            kind=kind,
            impression_id=placement.impression_id,
            event_id=event_id,
            advertiser_id=placement.advertiser_pk,
            campaign_id=placement.campaign_pk,
            creative_id=placement.creative_pk,
            user_id=placement.user_id,
            ts_ms=ts_ms,
            day=day,
            amount_fen=amount,
            journal_id=journal_id,
            note=note,
            position=placement.position,
            interest_match=placement.interest_match,
            price_millifen=placement.price_millifen,
            click_price_fen=placement.click_price_fen,
            pctr=placement.pctr,
            pcvr=placement.pcvr,
        )
        return amount, note

    def bill_purchase(self, impression_id: str, *, order_id: str, user_id: int, ts_ms: int) -> int:
        """Bill the purchase-goal campaign whose ad (``impression_id``, shown to ``user_id``)
        led to paid order ``order_id``; once per impression. Returns the fen charged: 0 when
        the ad is not a purchase goal, was billed already, was shown to another user, lies
        outside the attribution window, or the charge was free (budget, balance)."""
        with self._lock:
            self._pending = {}
            try:
                with self.db.session() as session:
                    if repo.get_outcome(session, kind="conversion", impression_id=impression_id):
                        return 0
                    placement = self._placement(session, impression_id)
                    if (
                        placement is None
                        or placement.objective != PURCHASE
                        or placement.user_id != user_id
                    ):
                        return 0
                    event = AdEvent(f"order:{order_id}", "ad_conversion", impression_id, ts_ms, 0)
                    if not self._attributable(event, placement):
                        return 0
                    campaign = repo.campaign_by_pk(session, campaign_id=placement.campaign_pk)
                    due = conversion_price_fen(
                        placement.price_millifen,
                        placement.pctr,
                        placement.pcvr,
                        cap_fen=campaign.bid_fen,
                    )
                    day = day_label(placement.ts_ms, self.timezone)
                    amount, _ = self._record(
                        session, placement, "conversion", event.client_event_id, due, ts_ms, day
                    )
            except BaseException:
                for (campaign_pk, day), reserved in self._pending.items():  # rolled back
                    self.counters.release_spend(
                        campaign_pk=campaign_pk, day=day, amount_fen=reserved
                    )
                raise
            if amount:
                self.server.record_charge(
                    campaign_pk=placement.campaign_pk,
                    advertiser_pk=placement.advertiser_pk,
                    amount_fen=amount,
                )
        return amount

    @staticmethod
    def _attributable(event: Any, placement: Placement) -> bool:
        """True when the event may count: near when its placement was served."""
        low = placement.ts_ms - ATTRIBUTION_BEFORE_MS
        if not low <= event.ts_ms <= placement.ts_ms + ATTRIBUTION_AFTER_MS:
            log.warning(
                "ad event %s: ts_ms %d is outside the window of impression %s served at %d",
                event.client_event_id,
                event.ts_ms,
                placement.impression_id,
                placement.ts_ms,
            )
            return False
        return True

    def _bill(
        self,
        session: Any,
        placement: Placement,
        kind: str,
        impression_id: str,
        due: int,
        ts_ms: int,
        day: str,
    ) -> tuple[int, str | None, int | None]:
        if due <= 0:
            return 0, None, None
        campaign = repo.campaign_by_pk(session, campaign_id=placement.campaign_pk)
        ceiling = campaign.daily_budget_fen + int(campaign.daily_budget_fen * OVERSPEND_TOLERANCE)
        reserved = self.counters.reserve_spend(
            campaign_pk=campaign.id,
            day=day,
            amount_fen=due,
            ceiling_fen=ceiling,
            spent=lambda: repo.spent_on_day(session, campaign_id=campaign.id, day=day),
        )
        if not reserved:
            return 0, "over_budget", None
        key = (campaign.id, day)
        self._pending[key] = self._pending.get(key, 0) + due
        journal = repo.charge(
            session,
            txn_key=f"{kind}:{impression_id}",
            advertiser_id=placement.advertiser_pk,
            campaign_id=placement.campaign_pk,
            creative_id=placement.creative_pk,
            amount_fen=due,
            ts_ms=ts_ms,
            day=day,
        )
        if journal is None:
            self._pending[key] -= due
            self.counters.release_spend(campaign_pk=campaign.id, day=day, amount_fen=due)
            return 0, "insufficient_balance", None
        return due, None, journal.id
