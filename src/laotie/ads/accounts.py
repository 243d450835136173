"""Ads accounts: advertisers and their prepaid money, campaigns and creatives, with their rules.

``scope`` arguments carry the advertiser id an advertiser key is bound to (None: admin).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product
from typing import Any

from laotie.ads.filler import SlotFiller
from laotie.ads.schemas import (
    AdvertiserCreate,
    AdvertiserPublic,
    CampaignCreate,
    CampaignPublic,
    CampaignStatus,
    CampaignUpdate,
    CreativeCreate,
    CreativePublic,
    Objective,
    ProgrammaticCreate,
    Schedule,
    Targeting,
    TopUp,
)
from laotie.core.clock import Clock, day_label
from laotie.core.errors import InvalidInput, PermissionDenied
from laotie.core.settings import Settings
from laotie.store.db import Database
from laotie.store.repos import ads as repo
from laotie.store.tables import AdAdvertiser, AdCampaign, AdCreative

MAX_VARIANTS = 200


def _check_range(value: int, *, field: str, high: int) -> None:
    if not 0 < value <= high:
        raise InvalidInput(
            f"{field} must be 1..{high} fen, got {value}", field=field, limit=f"1..{high}"
        )


def check_scope(scope: str | None, advertiser_external_id: str) -> None:
    if scope is not None and scope != advertiser_external_id:
        raise PermissionDenied(
            f"this key is scoped to advertiser {scope!r} and may not act on "
            f"advertiser {advertiser_external_id!r}",
            field="scope",
        )


class AdAccounts:
    """Advertisers, campaigns and creatives; every change reaches serving."""

    def __init__(
        self, db: Database, *, settings: Settings, clock: Clock, serving: SlotFiller
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self._serving = serving

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
        check_scope(scope, advertiser_id)
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
                day=day_label(now, self.settings.timezone),
            )
            public = _advertiser_public(row)
            pk = row.id
        self._serving.server.record_balance(advertiser_pk=pk, balance_fen=public.balance_fen)
        return public

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
        check_scope(scope, campaign.advertiser_id)
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
        self._serving.invalidate()
        return public

    def campaign_row(
        self, session: Any, campaign_id: str, scope: str | None
    ) -> tuple[AdCampaign, str]:
        """A campaign's row and its advertiser's external id (NotFound, PermissionDenied)."""
        row = repo.get_campaign(session, external_id=campaign_id)
        advertiser = session.get(AdAdvertiser, row.advertiser_id)
        check_scope(scope, advertiser.external_id)
        return row, advertiser.external_id

    def get_campaign(self, campaign_id: str, *, scope: str | None = None) -> CampaignPublic:
        """A campaign (NotFound, or PermissionDenied outside the key's scope)."""
        with self.db.session() as session:
            row, owner = self.campaign_row(session, campaign_id, scope)
            return _campaign_public(row, owner)

    def list_campaigns(
        self, *, advertiser_id: str | None = None, scope: str | None = None
    ) -> list[CampaignPublic]:
        """Campaigns of one advertiser (an advertiser key sees only its own) or all."""
        if scope is not None:
            advertiser_id = advertiser_id or scope
            check_scope(scope, advertiser_id)
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
            row, owner = self.campaign_row(session, campaign_id, scope)
            if update.targeting is not None:
                self._check_targeting(session, update.targeting)
            for name, value in values.items():
                if value is None:
                    raise InvalidInput(f"{name} may not be null", field=name, limit="a value")
            repo.update_campaign(session, row=row, values=values, updated_at_ms=self.clock.now_ms())
            public = _campaign_public(row, owner)
        self._serving.invalidate()
        return public

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
            row, _ = self.campaign_row(session, campaign_id, scope)
            created = repo.create_creatives(
                session, campaign_id=row.id, creatives=values, created_at_ms=self.clock.now_ms()
            )
            out = [_creative_public(c, campaign_id) for c in created]
        self._serving.invalidate()
        return out

    def list_creatives(self, campaign_id: str, *, scope: str | None = None) -> list[CreativePublic]:
        """A campaign's creatives."""
        with self.db.session() as session:
            row, _ = self.campaign_row(session, campaign_id, scope)
            return [
                _creative_public(c, campaign_id)
                for c in repo.list_creatives(session, campaign_id=row.id)
            ]

    def advertiser_pk(self, advertiser_id: str | None, scope: str | None) -> int | None:
        """The row id of the advertiser a call is about (an advertiser key: its own), or None."""
        if scope is not None:
            advertiser_id = advertiser_id or scope
            check_scope(scope, advertiser_id)
        if advertiser_id is None:
            return None
        with self.db.session() as session:
            return repo.get_advertiser(session, external_id=advertiser_id).id


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
