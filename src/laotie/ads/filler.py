"""The ads slot filler the feed calls: the serving snapshot kept in step with the database,
and the request context (region, segment, interests, kind) filled in from what is known."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from laotie.ads.counters import AdCounters
from laotie.ads.index import CampaignSpec, CreativeSpec, ServingIndex
from laotie.ads.interests import InterestProfile
from laotie.ads.models import AdModels
from laotie.ads.schemas import CampaignStatus, Objective, Schedule, Targeting
from laotie.ads.serving import Server
from laotie.core.clock import Clock, day_label
from laotie.core.contracts import AdPlacement, AdRequest
from laotie.core.settings import Settings
from laotie.store.db import Database
from laotie.store.repos import ads as repo
from laotie.store.tables import AdCampaign, AdCreative

log = logging.getLogger(__name__)
MAX_ITEM_CACHE = 2_000_000


class SlotFiller:
    """Runs the auctions for a feed page's ad slots (implements ``core.contracts.AdSlotFiller``)."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings,
        clock: Clock,
        models: AdModels,
        counters: AdCounters,
        random_state: int | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.models = models
        pctr, pcvr = models.load()
        self.server = Server(
            ServingIndex([]),
            pctr_model=pctr,
            pcvr_model=pcvr,
            reserve_ecpm_fen=settings.ads_reserve_cpm_fen,
            min_gap=settings.ads_min_gap,
            timezone=settings.timezone,
            random_state=random_state,
            counters=counters,
        )
        self._dirty = True
        self._models_version = models.version
        self._refresh_lock = threading.Lock()
        self._users: dict[int, tuple[str | None, str | None]] = {}
        self._items: dict[int, tuple[str, str]] = {}
        self.interests = InterestProfile()

    def invalidate(self) -> None:
        """Campaigns or creatives changed: rebuild the snapshot before the next fill."""
        self._dirty = True

    def observe(self, events: Sequence[Any]) -> None:
        """Learn users' interests and last kinds from committed events."""
        try:
            self._learn_interests(events)
        except Exception:  # interests only sharpen targeting; charging must still happen
            log.exception("learning ad interests from events failed")

    def _learn_interests(self, events: Sequence[Any]) -> None:
        needed = self.interests.items_needed(events, self._items)
        if needed:
            with self.db.session() as session:
                found = repo.item_categories(session, item_ids=needed)
            if len(self._items) + len(found) > MAX_ITEM_CACHE:
                self._items.clear()
            self._items.update(found)
        self.interests.observe(events, self._items)

    def refresh(self) -> None:
        """Rebuild the serving index and state from the database (after changes or a restart)."""
        with self._refresh_lock:
            models_version = self.models.version
            day = day_label(self.clock.now_ms(), self.settings.timezone)
            with self.db.session() as session:
                campaigns = [
                    c
                    for c in repo.list_campaigns(session)
                    if c.status == CampaignStatus.ACTIVE.value
                ]
                creatives: dict[int, list[AdCreative]] = {}
                for creative in repo.list_creatives(session):
                    creatives.setdefault(creative.campaign_id, []).append(creative)
                specs = [_spec(c, creatives[c.id]) for c in campaigns if c.id in creatives]
                balances = {a.id: a.balance_fen for a in repo.list_advertisers(session)}
                spent = repo.spend_by_campaign(session, day=day)
                counts = repo.creative_counts(session)
                frequency = repo.frequency_counts(session, day=day)
            pctr, pcvr = self.models.load()
            self.server.load(
                ServingIndex(specs),
                spent_fen=spent,
                balances_fen=balances,
                creative_counts=counts,
                frequency=frequency,
                pctr_model=pctr,
                pcvr_model=pcvr,
            )
            self._dirty = False
            self._models_version = models_version

    def fill(self, request: AdRequest) -> list[AdPlacement]:
        """Run the auctions for a feed page's ad slots (``core.contracts.AdSlotFiller``).

        Context keys used: ``interests`` (category paths; when absent, the categories the
        user engaged with most in the event log), ``kind`` (of the surrounding content; when
        absent, of the user's last engaged item), ``segment`` and ``region`` (looked up from
        the user when absent), ``items_since_last_ad`` (organic items since the previous
        page's last ad).
        """
        try:
            return self._fill(request)
        except Exception:  # an ad failure must cost the page its ads, never the page itself
            log.exception("ad fill failed for request %s", request.request_id)
            return []

    def _fill(self, request: AdRequest) -> list[AdPlacement]:
        if self._dirty or self._models_version != self.models.version:
            self.refresh()
        context = dict(request.context)
        missing = {"region", "segment", "interests", "kind"} - context.keys()
        if missing and self.server.index.size:  # no campaign, no auction: skip the lookups
            if "region" in missing or "segment" in missing:
                region, segment = self._user_attrs(request.user_id)
                context.setdefault("region", region)
                context.setdefault("segment", segment)
            context.setdefault("interests", self.interests.interests(request.user_id))
            context.setdefault("kind", self.interests.last_kind(request.user_id))
            request = AdRequest(
                user_id=request.user_id,
                user_external_id=request.user_external_id,
                request_id=request.request_id,
                slot_positions=request.slot_positions,
                now_ms=request.now_ms,
                context=context,
            )
        return self.server.fill(request)

    def _user_attrs(self, user_id: int) -> tuple[str | None, str | None]:
        cached = self._users.get(user_id)
        if cached is None:
            with self.db.session() as session:
                cached = repo.user_attrs(session, user_id=user_id)
            self._users[user_id] = cached
        return cached


def _spec(row: AdCampaign, creatives: list[AdCreative]) -> CampaignSpec:
    targeting = Targeting.model_validate(row.targeting)
    schedule = Schedule.model_validate(row.schedule)
    return CampaignSpec(
        pk=row.id,
        external_id=row.external_id,
        advertiser_pk=row.advertiser_id,
        objective=Objective(row.objective),
        bid_fen=row.bid_fen,
        daily_budget_fen=row.daily_budget_fen,
        frequency_cap=row.frequency_cap,
        creatives=[
            CreativeSpec(
                pk=c.id,
                external_id=c.external_id,
                title=c.title,
                landing_url=c.landing_url,
                aigc=c.aigc,
                aigc_labels=c.aigc_labels,
            )
            for c in creatives
        ],
        categories=[p.strip("/") for p in targeting.categories],
        kinds=[str(k) for k in targeting.kinds],
        segments=targeting.segments,
        regions=targeting.regions,
        start_ms=schedule.start_ms,
        end_ms=schedule.end_ms,
        hours=schedule.hours,
    )
