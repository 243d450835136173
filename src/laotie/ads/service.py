"""The ads service: accounts, campaigns and creatives with their rules, the slot filler the
feed calls, event-driven charging, model training and reports.

``scope`` arguments carry the advertiser id an advertiser key is bound to (None: admin).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from itertools import product
from typing import Any

import numpy as np

from laotie.ads import reports
from laotie.ads.charging import AD_EVENT_KINDS, AdEvent, Charger, ChargeSummary
from laotie.ads.counters import AdCounters
from laotie.ads.interests import InterestProfile
from laotie.ads.prediction import PriorModel, ResponseModel, calibration_report
from laotie.ads.schemas import (
    AdvertiserCreate,
    AdvertiserPublic,
    AigcShareRow,
    CampaignCreate,
    CampaignPublic,
    CampaignStatus,
    CampaignUpdate,
    CreativeCreate,
    CreativePublic,
    Objective,
    ProgrammaticCreate,
    ReportRow,
    Schedule,
    Targeting,
    TopUp,
)
from laotie.ads.serving import CampaignSpec, CreativeSpec, Server, ServingIndex
from laotie.core.clock import Clock, SystemClock, day_label
from laotie.core.contracts import AdPlacement, AdRequest
from laotie.core.errors import InvalidInput, NotFound, PermissionDenied
from laotie.core.events import EVENT_CODES
from laotie.core.live import LiveState
from laotie.core.settings import Settings
from laotie.store.db import Database
from laotie.store.live import MemoryLiveState
from laotie.store.repos import ads as repo
from laotie.store.tables import AdAdvertiser, AdCampaign, AdCreative

log = logging.getLogger(__name__)
MAX_VARIANTS = 200
DEFAULT_CTR = 0.02
DEFAULT_CVR = 0.05
MIN_TRAINING_ROWS = 200
MAX_ITEM_CACHE = 2_000_000


def _check_range(value: int, *, field: str, high: int) -> None:
    if not 0 < value <= high:
        raise InvalidInput(
            f"{field} must be 1..{high} fen, got {value}", field=field, limit=f"1..{high}"
        )


def _check_scope(scope: str | None, advertiser_external_id: str) -> None:
    if scope is not None and scope != advertiser_external_id:
        raise PermissionDenied(
            f"this key is scoped to advertiser {scope!r} and may not act on "
            f"advertiser {advertiser_external_id!r}",
            field="scope",
        )


class AdsService:
    """Everything ads, behind one object (implements ``core.contracts.AdSlotFiller``)."""

    def __init__(
        self,
        db: Database,
        *,
        settings: Settings,
        clock: Clock | None = None,
        random_state: int | None = None,
        live: LiveState | None = None,
    ) -> None:
        self.db = db
        # budgets and frequency caps counted where every serving process sees them
        counters = AdCounters(live or MemoryLiveState())
        self.settings = settings
        self.clock = clock or SystemClock()
        self.timezone = settings.timezone
        self._models_dir = settings.home / "models" / "ads"
        pctr, pcvr = self._load_models()
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
        self.charger = Charger(
            db, server=self.server, timezone=settings.timezone, counters=counters
        )
        self._dirty = True
        self._refresh_lock = threading.Lock()
        self._users: dict[int, tuple[str | None, str | None]] = {}
        self._items: dict[int, tuple[str, str]] = {}
        self.interests = InterestProfile()

    # --- events ------------------------------------------------------------------------------

    def on_events(self, events: Sequence[Any]) -> ChargeSummary:
        """Event subscriber (wired in ``laotie.wiring``): record and charge the ad events in a
        committed batch; learn users' interests from the others. Safe to call again with the
        same events."""
        try:
            self._learn_interests(events)
        except Exception:  # interests only sharpen targeting; charging must still happen
            log.exception("learning ad interests from events failed")
        return self.charger.handle(events)

    def bill_purchase(self, impression_id: str, *, order_id: str, user_id: int, ts_ms: int) -> int:
        """Bill a purchase-goal oCPC campaign for a paid order its ad led to (``PurchaseBiller``;
        see ``Charger.bill_purchase``); returns the fen charged."""
        return self.charger.bill_purchase(
            impression_id, order_id=order_id, user_id=user_id, ts_ms=ts_ms
        )

    def _learn_interests(self, events: Sequence[Any]) -> None:
        needed = self.interests.items_needed(events, self._items)
        if needed:
            with self.db.session() as session:
                found = repo.item_categories(session, item_ids=needed)
            if len(self._items) + len(found) > MAX_ITEM_CACHE:
                self._items.clear()
            self._items.update(found)
        self.interests.observe(events, self._items)

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
            total.add(self.charger.handle(events))
        return total

    def _day(self, ms: int | None = None) -> str:
        return day_label(self.clock.now_ms() if ms is None else ms, self.timezone)

    # --- advertisers -------------------------------------------------------------------------

    def create_advertiser(self, advertiser: AdvertiserCreate) -> AdvertiserPublic:
        """Create an advertiser account with a zero balance."""
        with self.db.session() as session:
            row = repo.create_advertiser(
                session,
                external_id=advertiser.id,
                name=advertiser.name,
                created_at_ms=self.clock.now_ms(),
            )
            return _advertiser_public(row)

    def get_advertiser(self, advertiser_id: str, *, scope: str | None = None) -> AdvertiserPublic:
        """An advertiser with its balance."""
        _check_scope(scope, advertiser_id)
        with self.db.session() as session:
            return _advertiser_public(repo.get_advertiser(session, external_id=advertiser_id))

    def list_advertisers(self) -> list[AdvertiserPublic]:
        """Every advertiser."""
        with self.db.session() as session:
            return [_advertiser_public(r) for r in repo.list_advertisers(session)]

    def top_up(self, advertiser_id: str, topup: TopUp) -> AdvertiserPublic:
        """Add prepaid money, once per idempotency key (a replay returns the same state)."""
        _check_range(topup.amount_fen, field="amount_fen", high=self.settings.ads_max_topup_fen)
        now = self.clock.now_ms()
        with self.db.session() as session:
            row = repo.get_advertiser(session, external_id=advertiser_id)
            repo.top_up(
                session,
                advertiser=row,
                amount_fen=topup.amount_fen,
                txn_key=f"topup:{topup.idempotency_key}",
                ts_ms=now,
                day=self._day(now),
            )
            public = _advertiser_public(row)
            pk = row.id
        self.server.record_balance(advertiser_pk=pk, balance_fen=public.balance_fen)
        return public

    # --- campaigns ---------------------------------------------------------------------------

    def _check_targeting(self, session: Any, targeting: Targeting) -> None:
        if not targeting.categories:
            return
        known = repo.known_categories(session)
        for path in self.settings.ads_categories:
            parts = [p for p in path.split("/") if p]
            known.update("/".join(parts[: i + 1]) for i in range(len(parts)))
        for i, path in enumerate(targeting.categories):
            if path.strip("/") not in known:
                raise InvalidInput(
                    f"targeting.categories[{i}]: unknown category {path!r}",
                    field=f"targeting.categories[{i}]",
                    limit="a category path of the catalog or of LAOTIE_ADS_CATEGORIES",
                )

    def _check_money(self, *, bid_fen: int | None, daily_budget_fen: int | None) -> None:
        if bid_fen is not None:
            _check_range(bid_fen, field="bid_fen", high=self.settings.ads_max_bid_fen)
        if daily_budget_fen is not None:
            _check_range(
                daily_budget_fen,
                field="daily_budget_fen",
                high=self.settings.ads_max_daily_budget_fen,
            )

    def create_campaign(
        self, campaign: CampaignCreate, *, scope: str | None = None
    ) -> CampaignPublic:
        """Create a campaign after checking scope, money limits and targeting."""
        _check_scope(scope, campaign.advertiser_id)
        self._check_money(bid_fen=campaign.bid_fen, daily_budget_fen=campaign.daily_budget_fen)
        now = self.clock.now_ms()
        with self.db.session() as session:
            advertiser = repo.get_advertiser(session, external_id=campaign.advertiser_id)
            self._check_targeting(session, campaign.targeting)
            row = repo.create_campaign(
                session,
                values={
                    "external_id": campaign.id,
                    "advertiser_id": advertiser.id,
                    "name": campaign.name,
                    "objective": campaign.objective.value,
                    "bid_fen": campaign.bid_fen,
                    "daily_budget_fen": campaign.daily_budget_fen,
                    "schedule": campaign.schedule.model_dump(mode="json"),
                    "targeting": campaign.targeting.model_dump(mode="json"),
                    "frequency_cap": campaign.frequency_cap,
                    "status": campaign.status.value,
                    "created_at_ms": now,
                    "updated_at_ms": now,
                },
            )
            public = _campaign_public(row, advertiser.external_id)
        self._dirty = True
        return public

    def _campaign(
        self, session: Any, campaign_id: str, scope: str | None
    ) -> tuple[AdCampaign, str]:
        row = repo.get_campaign(session, external_id=campaign_id)
        advertiser = session.get(AdAdvertiser, row.advertiser_id)
        _check_scope(scope, advertiser.external_id)
        return row, advertiser.external_id

    def get_campaign(self, campaign_id: str, *, scope: str | None = None) -> CampaignPublic:
        """A campaign (NotFound, or PermissionDenied outside the key's scope)."""
        with self.db.session() as session:
            row, owner = self._campaign(session, campaign_id, scope)
            return _campaign_public(row, owner)

    def list_campaigns(
        self, *, advertiser_id: str | None = None, scope: str | None = None
    ) -> list[CampaignPublic]:
        """Campaigns of one advertiser (an advertiser key sees only its own) or all."""
        if scope is not None:
            advertiser_id = advertiser_id or scope
            _check_scope(scope, advertiser_id)
        with self.db.session() as session:
            owners = {a.id: a.external_id for a in repo.list_advertisers(session)}
            pk = None
            if advertiser_id is not None:
                pk = repo.get_advertiser(session, external_id=advertiser_id).id
            rows = repo.list_campaigns(session, advertiser_id=pk)
            return [_campaign_public(r, owners[r.advertiser_id]) for r in rows]

    def update_campaign(
        self, campaign_id: str, update: CampaignUpdate, *, scope: str | None = None
    ) -> CampaignPublic:
        """Change a campaign's set fields, with the same checks as creation."""
        self._check_money(bid_fen=update.bid_fen, daily_budget_fen=update.daily_budget_fen)
        values = update.model_dump(exclude_unset=True, mode="json")
        with self.db.session() as session:
            row, owner = self._campaign(session, campaign_id, scope)
            if update.targeting is not None:
                self._check_targeting(session, update.targeting)
            for name, value in values.items():
                if value is None:
                    raise InvalidInput(f"{name} may not be null", field=name, limit="a value")
            repo.update_campaign(session, row=row, values=values, updated_at_ms=self.clock.now_ms())
            public = _campaign_public(row, owner)
        self._dirty = True
        return public

    # --- creatives ---------------------------------------------------------------------------

    def add_creatives(
        self, campaign_id: str, creatives: Sequence[CreativeCreate], *, scope: str | None = None
    ) -> list[CreativePublic]:
        """Add creatives to a campaign."""
        values = []
        for i, c in enumerate(creatives):
            if c.aigc_labels and not c.aigc:
                raise InvalidInput(
                    f"creatives[{i}].aigc must be true when aigc_labels are given",
                    field=f"creatives[{i}].aigc",
                    limit="true when aigc_labels is non-empty",
                )
            values.append(
                {
                    "external_id": c.id,
                    "title": c.title,
                    "assets": c.assets,
                    "landing_url": str(c.landing_url),
                    "aigc": c.aigc,
                    "aigc_labels": c.aigc_labels,
                    "variant": {},
                }
            )
        return self._insert_creatives(campaign_id, values, scope)

    def add_programmatic(
        self, campaign_id: str, spec: ProgrammaticCreate, *, scope: str | None = None
    ) -> list[CreativePublic]:
        """Generate every title x cover x template combination as a creative variant; traffic
        among them is then allocated by Thompson sampling."""
        n = len(spec.titles) * len(spec.covers) * len(spec.templates)
        if n > MAX_VARIANTS:
            raise InvalidInput(
                f"{n} combinations of titles x covers x templates; at most {MAX_VARIANTS}",
                field="titles",
                limit=MAX_VARIANTS,
            )
        if spec.aigc_labels and not spec.aigc:
            raise InvalidInput(
                "aigc must be true when aigc_labels are given",
                field="aigc",
                limit="true when aigc_labels is non-empty",
            )
        values = [
            {
                "external_id": f"{spec.id_prefix}-t{t}c{c}m{m}",
                "title": title,
                "assets": {"cover": cover, "template": template},
                "landing_url": str(spec.landing_url),
                "aigc": spec.aigc,
                "aigc_labels": spec.aigc_labels,
                "variant": {"title": t, "cover": c, "template": m},
            }
            for (t, title), (c, cover), (m, template) in product(
                enumerate(spec.titles), enumerate(spec.covers), enumerate(spec.templates)
            )
        ]
        return self._insert_creatives(campaign_id, values, scope)

    def _insert_creatives(
        self, campaign_id: str, values: list[dict[str, Any]], scope: str | None
    ) -> list[CreativePublic]:
        with self.db.session() as session:
            row, _ = self._campaign(session, campaign_id, scope)
            created = repo.create_creatives(
                session, campaign_id=row.id, creatives=values, created_at_ms=self.clock.now_ms()
            )
            out = [_creative_public(c, campaign_id) for c in created]
        self._dirty = True
        return out

    def list_creatives(self, campaign_id: str, *, scope: str | None = None) -> list[CreativePublic]:
        """A campaign's creatives."""
        with self.db.session() as session:
            row, _ = self._campaign(session, campaign_id, scope)
            return [
                _creative_public(c, campaign_id)
                for c in repo.list_creatives(session, campaign_id=row.id)
            ]

    # --- serving -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Rebuild the serving index and state from the database (after changes or a restart)."""
        with self._refresh_lock:
            day = self._day()
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
            pctr, pcvr = self._load_models()
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
        if self._dirty:
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

    # --- prediction --------------------------------------------------------------------------

    def _load_models(self) -> tuple[Any, Any]:
        models = []
        for name, default in (("pctr", DEFAULT_CTR), ("pcvr", DEFAULT_CVR)):
            path = self._models_dir / f"{name}.npz"
            models.append(ResponseModel.load(path) if path.is_file() else PriorModel(default))
        return models[0], models[1]

    def train(self, *, holdout: float = 0.2, random_state: int | None = 0) -> dict[str, Any]:
        """Fit pCTR (impressions -> clicks) and pCVR (clicks -> conversions) on recorded ad
        outcomes; report calibration (ECE), log loss and AUC on the latest ``holdout`` share
        against the prior-only baseline; save the models refitted on all rows."""
        out: dict[str, Any] = {}
        self._models_dir.mkdir(parents=True, exist_ok=True)
        for name, kind, outcome in (
            ("pctr", "impression", "click"),
            ("pcvr", "click", "conversion"),
        ):
            with self.db.session() as session:
                rows = repo.training_rows(session, kind=kind, outcome_kind=outcome)
            if len(rows) < MIN_TRAINING_ROWS:
                out[name] = {
                    "trained": False,
                    "rows": len(rows),
                    "reason": f"needs >= {MIN_TRAINING_ROWS} {kind} rows",
                }
                continue
            data = np.array([(r[0], r[1], r[2], r[4]) for r in rows], dtype=np.int64)
            entity, match, position, label = data.T
            cut = int(len(rows) * (1 - holdout))
            model = ResponseModel(random_state=random_state)
            model.fit(
                entity=entity[:cut], match=match[:cut], position=position[:cut], outcome=label[:cut]
            )
            predicted = model.predict(
                entity=entity[cut:], match=match[cut:], position=position[cut:]
            )
            baseline = np.full(len(rows) - cut, label[:cut].mean())
            full = ResponseModel(random_state=random_state).fit(
                entity=entity, match=match, position=position, outcome=label
            )
            full.save(self._models_dir / f"{name}.npz")
            out[name] = {
                "trained": True,
                "rows": len(rows),
                "train_rows": cut,
                "holdout": calibration_report(label[cut:], predicted),
                "baseline": calibration_report(label[cut:], baseline),
            }
        self._dirty = True
        return out

    # --- reports -----------------------------------------------------------------------------

    def _advertiser_pk(self, advertiser_id: str | None, scope: str | None) -> int | None:
        if scope is not None:
            advertiser_id = advertiser_id or scope
            _check_scope(scope, advertiser_id)
        if advertiser_id is None:
            return None
        with self.db.session() as session:
            return repo.get_advertiser(session, external_id=advertiser_id).id

    def report(
        self,
        *,
        group_by: Iterable[str] = ("day", "campaign"),
        start_day: str | None = None,
        end_day: str | None = None,
        advertiser_id: str | None = None,
        campaign_id: str | None = None,
        scope: str | None = None,
    ) -> list[ReportRow]:
        """Spend, counts and ratios by day/campaign/creative (an advertiser sees its own)."""
        pk = self._advertiser_pk(advertiser_id, scope)
        campaign_pk = None
        if campaign_id is not None:
            with self.db.session() as session:
                row, _ = self._campaign(session, campaign_id, scope)
                campaign_pk = row.id
        return reports.report(
            self.db,
            group_by=group_by,
            start_day=start_day,
            end_day=end_day,
            advertiser_id=pk,
            campaign_id=campaign_pk,
        )

    def aigc_share(
        self,
        *,
        start_day: str | None = None,
        end_day: str | None = None,
        advertiser_id: str | None = None,
        scope: str | None = None,
    ) -> list[AigcShareRow]:
        """AIGC creatives' share of spend per day."""
        pk = self._advertiser_pk(advertiser_id, scope)
        return reports.aigc_share(self.db, start_day=start_day, end_day=end_day, advertiser_id=pk)

    def kpis(self, *, start_day: str | None = None, end_day: str | None = None) -> dict[str, Any]:
        """Headline ad KPIs for the simulator, insights and the demo."""
        return reports.ads_kpis(self.db, start_day=start_day, end_day=end_day)

    def reconcile(self) -> dict[str, Any]:
        """Reports against the ledger, to the fen."""
        return reports.reconcile(self.db)

    def creative_allocation(self, campaign_id: str, *, scope: str | None = None) -> dict[str, Any]:
        """Thompson-sampling state of a campaign's creatives, with the estimated regret against
        the best fixed variant (clicks the best posterior rate would have earned, minus clicks)."""
        with self.db.session() as session:
            row, _ = self._campaign(session, campaign_id, scope)
            creatives = repo.list_creatives(session, campaign_id=row.id)
            counts = repo.creative_counts(session)
        imps = np.array([counts.get(c.id, (0, 0))[0] for c in creatives], dtype=float)
        clicks = np.array([counts.get(c.id, (0, 0))[1] for c in creatives], dtype=float)
        if not creatives:
            raise NotFound(f"campaign {campaign_id!r} has no creatives", field="campaign_id")
        rate = (clicks + 1) / (imps + 2)
        regret = max(0.0, float(imps.sum() * rate.max() - clicks.sum()))
        return {
            "campaign_id": campaign_id,
            "variants": [
                {
                    "creative_id": c.external_id,
                    "variant": c.variant,
                    "impressions": int(i),
                    "clicks": int(k),
                    "posterior_mean": float(r),
                }
                for c, i, k, r in zip(creatives, imps, clicks, rate, strict=True)
            ],
            "estimated_regret_clicks": regret,
        }


def _advertiser_public(row: AdAdvertiser) -> AdvertiserPublic:
    return AdvertiserPublic(
        id=row.external_id,
        name=row.name,
        balance_fen=row.balance_fen,
        created_at_ms=row.created_at_ms,
    )


def _campaign_public(row: AdCampaign, advertiser_external_id: str) -> CampaignPublic:
    return CampaignPublic(
        id=row.external_id,
        advertiser_id=advertiser_external_id,
        name=row.name,
        objective=Objective(row.objective),
        bid_fen=row.bid_fen,
        daily_budget_fen=row.daily_budget_fen,
        schedule=Schedule.model_validate(row.schedule),
        targeting=Targeting.model_validate(row.targeting),
        frequency_cap=row.frequency_cap,
        status=CampaignStatus(row.status),
        created_at_ms=row.created_at_ms,
    )


def _creative_public(row: AdCreative, campaign_external_id: str) -> CreativePublic:
    return CreativePublic(
        id=row.external_id,
        campaign_id=campaign_external_id,
        title=row.title,
        assets=row.assets,
        landing_url=row.landing_url,
        aigc=row.aigc,
        aigc_labels=row.aigc_labels,
        variant=row.variant,
        created_at_ms=row.created_at_ms,
    )


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
