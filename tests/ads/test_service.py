"""The ads service end to end on a real SQLite home: rules, serving, charging, reports."""

from __future__ import annotations

import itertools

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from laotie.ads import (
    AdsService,
    AdvertiserCreate,
    CampaignCreate,
    CampaignUpdate,
    CreativeCreate,
    ProgrammaticCreate,
    Schedule,
    Targeting,
    TopUp,
)
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY, ManualClock, day_start_ms
from laotie.core.contracts import AdRequest
from laotie.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from laotie.core.kinds import AigcStatus
from laotie.store.db import Database
from laotie.store.delivery import Subscription
from laotie.store.repos import catalog
from laotie.store.tables import Base

pytestmark = pytest.mark.both_backends  # the same tests on a real PostgreSQL

DAY0 = day_start_ms(1_790_000_000_000, "Asia/Shanghai")


@pytest.fixture
def clock():
    return ManualClock(DAY0 + 10 * 3600 * 1000)


@pytest.fixture
def ads(services, clock) -> AdsService:
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="cr", name="C"))
        catalog.create_item(
            session,
            item=ItemCreate(
                id="i1", kind="video", creator_id="cr", title="t", category="美食/家常菜"
            ),
        )
    service = AdsService(services.db, settings=services.settings, clock=clock, random_state=0)
    services.events.subscribe(Subscription("ads-under-test", service.on_events))
    service.accounts.create_advertiser(AdvertiserCreate(id="adv", name="Shop"))
    service.accounts.top_up("adv", TopUp(amount_fen=100_000, idempotency_key="first"))
    return service


def _campaign(ads, cid="c1", **kw) -> None:
    values = {
        "id": cid,
        "advertiser_id": "adv",
        "name": cid,
        "objective": "clicks",
        "bid_fen": 50,
        "daily_budget_fen": 10_000,
        **kw,
    }
    ads.accounts.create_campaign(CampaignCreate(**values))
    ads.accounts.add_creatives(
        cid, [CreativeCreate(id=f"{cid}-x", title="buy", landing_url="https://example.com/x")]
    )


def _fill(ads, clock, user=1, slots=(2,), **context):
    return ads.serving.fill(
        AdRequest(
            user_id=user,
            user_external_id=f"u{user}",
            request_id="r",
            slot_positions=list(slots),
            now_ms=clock.now_ms(),
            context=context,
        )
    )


def _events(services, clock, placements, *kinds, prefix="e"):
    batch = [
        {
            "id": f"{prefix}-{kind}-{p.impression_id}",
            "type": kind,
            "user_id": "u1",
            "ts_ms": clock.now_ms(),
            "ref": p.impression_id,
        }
        for p in placements
        for kind in kinds
    ]
    return services.events.ingest(batch)


def test_migration_creates_the_ads_tables_and_matches_the_models(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.migrate()
    names = set(db.table_names())
    assert {
        "ad_advertisers",
        "ad_campaigns",
        "ad_creatives",
        "ad_journal",
        "ad_postings",
        "ad_outcomes",
    } <= names
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "ad_" in str(d)] == []
    db.dispose()


@pytest.mark.parametrize(
    ("change", "field", "limit"),
    [
        ({"bid_fen": 0}, "bid_fen", "1..100000"),
        ({"bid_fen": 100_001}, "bid_fen", "1..100000"),
        ({"daily_budget_fen": -5}, "daily_budget_fen", "1..100000000"),
        ({"daily_budget_fen": 10**9}, "daily_budget_fen", "1..100000000"),
        (
            {"targeting": Targeting(categories=["美食", "火星/旅游"])},
            "targeting.categories[1]",
            None,
        ),
    ],
)
def test_bad_campaigns_name_the_field_and_limit(ads, change, field, limit):
    with pytest.raises(InvalidInput) as caught:
        _campaign(ads, **change)
    assert caught.value.field == field
    if limit:
        assert caught.value.limit == limit
    assert field in caught.value.message


def test_categories_come_from_the_catalog_and_settings(ads):
    _campaign(ads, "food", targeting=Targeting(categories=["美食", "美食/家常菜"]))
    with pytest.raises(InvalidInput):
        _campaign(ads, "cars", targeting=Targeting(categories=["汽车"]))
    extra = AdsService(
        ads.db, settings=ads.settings.model_copy(update={"ads_categories": ["汽车"]})
    )
    extra.accounts.create_campaign(
        CampaignCreate(
            id="cars",
            advertiser_id="adv",
            name="c",
            objective="clicks",
            bid_fen=5,
            daily_budget_fen=100,
            targeting=Targeting(categories=["汽车"]),
        )
    )


def test_account_rules(ads):
    with pytest.raises(Conflict):
        ads.accounts.create_advertiser(AdvertiserCreate(id="adv", name="again"))
    assert (
        ads.accounts.top_up("adv", TopUp(amount_fen=100_000, idempotency_key="first")).balance_fen
        == 100_000
    )
    with pytest.raises(Conflict) as caught:
        ads.accounts.top_up("adv", TopUp(amount_fen=5, idempotency_key="first"))
    assert caught.value.context["field"] == "idempotency_key"
    with pytest.raises(InvalidInput) as bad:
        ads.accounts.top_up("adv", TopUp(amount_fen=0, idempotency_key="zero"))
    assert bad.value.field == "amount_fen"
    with pytest.raises(NotFound):
        ads.accounts.top_up("nobody", TopUp(amount_fen=5, idempotency_key="n"))


def test_an_advertiser_cannot_touch_another_advertisers_campaign(ads):
    ads.accounts.create_advertiser(AdvertiserCreate(id="other", name="Other"))
    _campaign(ads)
    for call in (
        lambda: ads.accounts.get_campaign("c1", scope="other"),
        lambda: ads.accounts.update_campaign("c1", CampaignUpdate(bid_fen=1), scope="other"),
        lambda: ads.accounts.add_creatives("c1", [], scope="other"),
        lambda: ads.reports.report(campaign_id="c1", scope="other"),
        lambda: ads.accounts.get_advertiser("adv", scope="other"),
        lambda: ads.accounts.create_campaign(
            CampaignCreate(
                id="c9",
                advertiser_id="adv",
                name="n",
                objective="clicks",
                bid_fen=5,
                daily_budget_fen=50,
            ),
            scope="other",
        ),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert ads.accounts.list_campaigns(scope="other") == []
    assert [c.id for c in ads.accounts.list_campaigns(scope="adv")] == ["c1"]


def test_creative_rules_and_programmatic_combinations(ads):
    _campaign(ads)
    with pytest.raises(InvalidInput) as caught:
        ads.accounts.add_creatives(
            "c1",
            [
                CreativeCreate(
                    id="l", title="t", landing_url="https://e.com", aigc_labels={"Label": "1"}
                )
            ],
        )
    assert caught.value.field == "creatives[0].aigc"
    made = ads.accounts.add_programmatic(
        "c1",
        ProgrammaticCreate(
            id_prefix="v",
            titles=["a", "b"],
            covers=["1.png", "2.png", "3.png"],
            templates=["x", "y"],
            landing_url="https://e.com/p",
            aigc=True,
            aigc_labels={"Label": "1", "ContentProducer": "laotie"},
        ),
    )
    assert (
        len(made) == 12
        and len({(c.variant["title"], c.variant["cover"], c.variant["template"]) for c in made})
        == 12
    )
    with pytest.raises(InvalidInput) as too_many:
        ads.accounts.add_programmatic(
            "c1",
            ProgrammaticCreate(
                id_prefix="w",
                titles=["a"] * 10,
                covers=["c"] * 10,
                templates=["t"] * 3,
                landing_url="https://e.com",
            ),
        )
    assert too_many.value.limit == 200
    with pytest.raises(Conflict):
        ads.accounts.add_programmatic(
            "c1",
            ProgrammaticCreate(
                id_prefix="v",
                titles=["a"],
                covers=["1"],
                templates=["x"],
                landing_url="https://e.com",
            ),
        )


def test_targeting_schedule_and_load_rules(ads, clock):
    _campaign(ads, "food", targeting=Targeting(categories=["美食"], regions=["bj"]))
    _campaign(ads, "night", schedule=Schedule(hours=[22, 23]))
    _campaign(ads, "later", schedule=Schedule(start_ms=clock.now_ms() + MS_PER_DAY))
    served = _fill(
        ads,
        clock,
        slots=(0, 1, 2, 3, 4, 5, 6),
        interests=["美食/家常菜"],
        region="bj",
        segment=None,
    )
    assert sorted(p.campaign_id for p in served) == ["food"]
    positions = [p.position for p in served]
    assert all(b - a >= ads.settings.ads_min_gap for a, b in itertools.pairwise(positions))
    assert _fill(ads, clock, user=2, interests=["美食"], region="sh", segment=None) == []
    assert _fill(ads, clock, user=3, interests=["体育"], region="bj", segment=None) == []
    clock.advance(12 * 3600 * 1000)  # 22:00 local
    assert [p.campaign_id for p in _fill(ads, clock, user=4, region="x", segment=None)] == ["night"]


def test_frequency_cap_per_user_and_campaign(ads, clock):
    _campaign(ads, frequency_cap=2)
    shown = [len(_fill(ads, clock, user=7, region=None, segment=None)) for _ in range(4)]
    assert shown == [1, 1, 0, 0]
    assert len(_fill(ads, clock, user=8, region=None, segment=None)) == 1


def test_clicks_are_charged_once_and_reports_reconcile(ads, services, clock):
    _campaign(ads)
    placements = [
        p for u in range(20) for p in _fill(ads, clock, user=u, region=None, segment=None)
    ]
    assert len(placements) == 20
    price = placements[0].price_fen
    assert 1 <= price <= 50 and placements[0].aigc_status == AigcStatus.NONE
    _events(services, clock, placements, "ad_impression")
    _events(services, clock, placements[:5], "ad_click", "ad_conversion")
    _events(services, clock, placements[:5], "ad_click", prefix="again")  # new ids, same refs
    row = ads.reports.report(group_by=["campaign"])[0]
    assert (row.impressions, row.clicks, row.conversions) == (20, 5, 5)
    assert row.spend_fen == sum(p.price_fen for p in placements[:5])
    assert row.ctr == 0.25 and row.cvr == 1.0
    assert row.cpa_fen == row.spend_fen / 5 and row.ecpm_fen == row.spend_fen * 1000 / 20
    assert ads.accounts.get_advertiser("adv").balance_fen == 100_000 - row.spend_fen
    assert ads.reports.reconcile()["ok"]
    assert ads.reports.kpis()["spend_fen"] == row.spend_fen


def test_cpm_charges_accumulate_milli_fen(ads, services, clock):
    _campaign(ads, "cpm", objective="impressions", bid_fen=2500)
    placements = [
        p for u in range(30) for p in _fill(ads, clock, user=u, region=None, segment=None)
    ]
    _events(services, clock, placements, "ad_impression")
    millifen = sum(p.extra["price_millifen"] for p in placements)
    assert ads.reports.report(group_by=())[0].spend_fen == millifen // 1000
    assert ads.reports.reconcile()["ok"]


def test_balance_and_budget_stop_serving_before_money_runs_out(ads, services, clock):
    ads.accounts.create_advertiser(AdvertiserCreate(id="small", name="S"))
    ads.accounts.top_up("small", TopUp(amount_fen=120, idempotency_key="s1"))
    ads.accounts.create_campaign(
        CampaignCreate(
            id="s",
            advertiser_id="small",
            name="s",
            objective="clicks",
            bid_fen=50,
            daily_budget_fen=10_000,
            frequency_cap=1000,
        )
    )
    ads.accounts.add_creatives(
        "s", [CreativeCreate(id="s-x", title="t", landing_url="https://e.com")]
    )
    for n in range(100):
        served = _fill(ads, clock, user=n, region=None, segment=None)
        if not served:
            break
        _events(services, clock, served, "ad_impression", "ad_click")
    balance = ads.accounts.get_advertiser("small").balance_fen
    # serving stopped while the balance could still pay a click at the full bid
    assert 0 <= balance < 50
    assert ads.reports.report(group_by=())[0].spend_fen == 120 - balance
    assert _fill(ads, clock, user=99, region=None, segment=None) == []
    assert ads.reports.reconcile()["ok"]


def test_charges_over_the_budget_tolerance_are_free(ads, services, clock):
    _campaign(ads, "tiny", daily_budget_fen=60, frequency_cap=1000)
    # clicks arrive after many placements were served (clicks in flight)
    served = [p for u in range(20) for p in _fill(ads, clock, user=u, region=None, segment=None)]
    assert len(served) == 20
    _events(services, clock, served, "ad_impression", "ad_click")
    row = ads.reports.report(group_by=["campaign"])[0]
    assert row.clicks == 20
    assert row.spend_fen <= 60 * 1.01
    assert row.spend_fen == 60  # every click that fitted was billed in full
    assert ads.reports.reconcile()["ok"]


def test_aigc_share_of_daily_spend(ads, services, clock):
    _campaign(ads, "plain")
    ads.accounts.create_campaign(
        CampaignCreate(
            id="ai",
            advertiser_id="adv",
            name="ai",
            objective="clicks",
            bid_fen=50,
            daily_budget_fen=10_000,
        )
    )
    ads.accounts.add_creatives(
        "ai",
        [
            CreativeCreate(
                id="ai-x",
                title="AI",
                landing_url="https://e.com",
                aigc=True,
                aigc_labels={"Label": "1"},
            )
        ],
    )
    served = [
        p
        for u in range(10)
        for p in _fill(ads, clock, user=u, slots=(1, 5), region=None, segment=None)
    ]
    ai = [p for p in served if p.campaign_id == "ai"]
    assert ai and all(p.aigc_status == AigcStatus.CONFIRMED for p in ai)
    _events(services, clock, served, "ad_impression", "ad_click")
    (share,) = ads.reports.aigc_share()
    assert share.aigc_spend_fen == sum(p.price_fen for p in ai)
    assert share.aigc_share == pytest.approx(share.aigc_spend_fen / share.spend_fen)


def test_unknown_impressions_are_not_charged(ads, services, clock):
    _campaign(ads)
    services.events.ingest(
        [
            {
                "id": "x1",
                "type": "ad_click",
                "user_id": "u1",
                "ts_ms": clock.now_ms(),
                "ref": "imp_forged",
            }
        ]
    )
    assert ads.reports.report(group_by=()) == []
    assert ads.accounts.get_advertiser("adv").balance_fen == 100_000


def test_training_from_ad_events_reports_calibration_and_is_used(ads, services, clock):
    from laotie.ads import ResponseModel

    _campaign(ads, "food", targeting=Targeting(categories=["美食"]), frequency_cap=1000)
    _campaign(ads, "any", frequency_cap=1000)
    rng = __import__("numpy").random.default_rng(0)
    batch = []
    for u in range(500):
        interests = ["美食/家常菜"] if u % 2 else []
        for p in _fill(ads, clock, user=u, interests=interests, region=None, segment=None):
            batch.append(
                {
                    "id": f"i{u}",
                    "type": "ad_impression",
                    "user_id": f"u{u}",
                    "ts_ms": clock.now_ms(),
                    "ref": p.impression_id,
                }
            )
            if rng.random() < (0.3 if p.campaign_id == "food" else 0.05):
                batch.append(
                    {
                        "id": f"c{u}",
                        "type": "ad_click",
                        "user_id": f"u{u}",
                        "ts_ms": clock.now_ms(),
                        "ref": p.impression_id,
                    }
                )
        clock.advance(1000)
    services.events.ingest(batch)
    result = ads.models.train()
    assert result["pctr"]["trained"] and result["pctr"]["rows"] == 500
    holdout = result["pctr"]["holdout"]
    assert {"ece", "log_loss", "auc"} <= holdout.keys()
    assert holdout["log_loss"] < result["pctr"]["baseline"]["log_loss"]
    assert result["pcvr"] == {
        "trained": False,
        "rows": result["pcvr"]["rows"],
        "reason": "needs >= 200 click rows",
    }
    ads.serving.refresh()
    assert isinstance(ads.serving.server.pctr_model, ResponseModel)
    position = {c.external_id: j for j, c in enumerate(ads.serving.server.index.campaigns)}
    # the learned model ranks the food campaign, shown to food lovers, far above the other
    assert (
        ads.serving.server.scores.pctr[1][position["food"]]
        > 2 * ads.serving.server.scores.pctr[0][position["any"]]
    )


def test_programmatic_traffic_converges_to_the_best_variant(ads, services, clock):
    import numpy as np

    ads.accounts.create_campaign(
        CampaignCreate(
            id="prog",
            advertiser_id="adv",
            name="p",
            objective="clicks",
            bid_fen=50,
            daily_budget_fen=90_000,
            frequency_cap=1000,
        )
    )
    made = ads.accounts.add_programmatic(
        "prog",
        ProgrammaticCreate(
            id_prefix="v",
            titles=["a", "b"],
            covers=["1.png", "2.png"],
            templates=["t"],
            landing_url="https://e.com/p",
        ),
    )
    rates = {c.id: 0.02 for c in made} | {made[3].id: 0.4}
    rng = np.random.default_rng(1)
    shown = []
    for round_ in range(8):
        batch = []
        for u in range(60):
            for p in _fill(ads, clock, user=round_ * 100 + u, region=None, segment=None):
                if p.campaign_id != "prog":
                    continue
                shown.append(p.creative_id)
                batch.append(
                    {
                        "id": f"i{p.impression_id}",
                        "type": "ad_impression",
                        "user_id": "u1",
                        "ts_ms": clock.now_ms(),
                        "ref": p.impression_id,
                    }
                )
                if rng.random() < rates[p.creative_id]:
                    batch.append(
                        {
                            "id": f"c{p.impression_id}",
                            "type": "ad_click",
                            "user_id": "u1",
                            "ts_ms": clock.now_ms(),
                            "ref": p.impression_id,
                        }
                    )
        services.events.ingest(batch)  # charging feeds each variant's posterior
        clock.advance(60_000)
    late = shown[len(shown) // 2 :]
    assert late.count(made[3].id) / len(late) > 0.6
    allocation = ads.reports.creative_allocation("prog")
    best = max(allocation["variants"], key=lambda v: v["posterior_mean"])
    assert best["creative_id"] == made[3].id


def test_settle_charges_logged_events_a_hook_missed_and_is_idempotent(ads, services, clock):
    from laotie.store.eventlog import EventLog

    _campaign(ads)
    placements = [p for u in range(6) for p in _fill(ads, clock, user=u, region=None, segment=None)]
    bare = EventLog(services.db, clock=clock)  # no subscribers: as if the hook had failed
    bare.ingest(
        [
            {
                "id": f"{k}-{p.impression_id}",
                "type": k,
                "user_id": "u1",
                "ts_ms": clock.now_ms(),
                "ref": p.impression_id,
            }
            for p in placements
            for k in ("ad_impression", "ad_click")
        ]
    )
    assert ads.reports.report(group_by=()) == []
    first = ads.charging.settle(since_ms=clock.now_ms() - 60_000)
    assert first.recorded == 12 and first.charged_fen == sum(p.price_fen for p in placements)
    again = ads.charging.settle(since_ms=0)
    assert again.recorded == 0 and again.duplicate == 12 and again.charged_fen == 0
    assert ads.reports.reconcile()["ok"]


def test_a_failing_auction_costs_the_page_its_ads_not_the_page(ads, clock, monkeypatch, caplog):
    _campaign(ads)
    assert len(_fill(ads, clock, user=1, region=None, segment=None)) == 1

    def broken(request):
        raise RuntimeError("index corrupted")

    monkeypatch.setattr(ads.serving.server, "fill", broken)
    assert _fill(ads, clock, user=2, region=None, segment=None) == []
    assert "ad fill failed" in caplog.text


def test_interests_are_learned_from_the_event_log_when_the_feed_does_not_send_them(
    ads, services, clock
):
    _campaign(ads, "food", targeting=Targeting(categories=["美食"]), frequency_cap=1000)
    ads.accounts.create_campaign(
        CampaignCreate(
            id="games",
            advertiser_id="adv",
            name="g",
            objective="clicks",
            bid_fen=50,
            daily_budget_fen=9_000,
            targeting=Targeting(kinds=["game"]),
        )
    )
    ads.accounts.add_creatives(
        "games", [CreativeCreate(id="g-x", title="g", landing_url="https://e.com")]
    )
    assert _fill(ads, clock, user=1) == []  # nothing known about the user yet
    services.events.ingest(
        [
            {
                "id": f"p{n}",
                "type": "play",
                "user_id": "fan",
                "item_id": "i1",
                "ts_ms": clock.now_ms(),
            }
            for n in range(3)
        ]
    )
    with services.db.session() as session:
        user_id = catalog.get_user(session, external_id="fan").id
    assert ads.serving.interests.interests(user_id) == ["美食/家常菜"]
    # two slots: the game campaign does not serve next to the video the user last played
    served = _fill(ads, clock, user=user_id, slots=(1, 5))
    assert [p.campaign_id for p in served] == ["food"]
    assert {p.campaign_id for p in _fill(ads, clock, user=user_id, slots=(1, 5), kind="game")} == {
        "food",
        "games",
    }
