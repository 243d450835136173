"""oCPC to a purchase: a purchase-goal campaign is billed per paid order its ad led to, once
per impression, at most its target bid, in the ledger; conversion events cannot bill it."""

from __future__ import annotations

from tests.ads.campaigns import open_campaign

from laotie.commerce import OrderCreate, ProductCreate, ShopCreate
from laotie.core.catalog import CreatorCreate, ItemCreate, UserCreate
from laotie.core.contracts import AdRequest
from laotie.store.repos import ads as ads_repo
from laotie.store.repos import catalog

TARGET_FEN = 800


def _world(services) -> dict[str, int]:
    with services.db.session() as session:
        users = {u: catalog.create_user(session, user=UserCreate(id=u)).id for u in ("u1", "u2")}
        catalog.create_creator(session, creator=CreatorCreate(id="cr", name="C"))
        catalog.create_item(
            session, item=ItemCreate(id="i1", kind="video", creator_id="cr", title="t")
        )
    open_campaign(
        services.ads,
        campaign="buy",
        advertiser="m1",
        objective="purchases",
        bid_fen=TARGET_FEN,
        daily_budget_fen=50_000,
        frequency_cap=3,
    )
    shops = services.commerce.shops
    shops.create_shop(ShopCreate(id="shop", merchant_id="m1", name="Shop"))
    shops.add_product(
        "shop", ProductCreate(id="tea", sku="T", title="Tea", price_fen=5_900, stock=10)
    )
    return users


def _serve(services, user_pk: int, user: str) -> str:
    now = services.clock.now_ms()
    placements = services.ads.serving.fill(
        AdRequest(
            user_id=user_pk,
            user_external_id=user,
            request_id=f"r-{user}-{now}",
            slot_positions=[2],
            now_ms=now,
        )
    )
    assert placements and placements[0].extra["billing"] == "purchase"
    impression = placements[0].impression_id
    services.events.ingest(
        [{"id": f"imp-{impression}", "type": "ad_impression", "user_id": user, "ts_ms": now,
          "ref": impression}]
    )  # fmt: skip
    return impression


def _buy(services, order_id: str, user: str, source: str) -> str:
    order = services.commerce.orders.create_order(
        OrderCreate(id=order_id, user_id=user, product_id="tea", source=source)
    )
    assert order.out_trade_no
    services.commerce.payments.settle(
        out_trade_no=order.out_trade_no, transaction_id=f"T-{order_id}", amount_fen=5_900
    )
    return order.out_trade_no


def _balance(services) -> int:
    return services.ads.accounts.get_advertiser("m1").balance_fen


def test_a_paid_order_from_the_ad_bills_the_purchase_once(services) -> None:
    users = _world(services)
    impression = _serve(services, users["u1"], "u1")
    start = _balance(services)

    # a click on a purchase-goal ad is free; a conversion event alone bills nothing
    now = services.clock.now_ms()
    services.events.ingest(
        [
            {"id": "c1", "type": "ad_click", "user_id": "u1", "ts_ms": now, "ref": impression},
            {"id": "v1", "type": "ad_conversion", "user_id": "u1", "ts_ms": now,
             "ref": impression},
        ]
    )  # fmt: skip
    assert _balance(services) == start
    with services.db.session() as session:
        assert ads_repo.get_outcome(session, kind="conversion", impression_id=impression) is None

    # another user's order naming u1's impression bills nothing
    _buy(services, "o-stranger", "u2", f"ad:{impression}")
    assert _balance(services) == start

    paid = _buy(services, "o1", "u1", f"ad:{impression}")
    charged = start - _balance(services)
    assert 1 <= charged <= TARGET_FEN
    with services.db.session() as session:
        outcome = ads_repo.get_outcome(session, kind="conversion", impression_id=impression)
        assert outcome is not None and outcome.amount_fen == charged
        assert outcome.event_id == "order:o1" and outcome.journal_id is not None

    # a second order from the same impression, and the settlement replayed, bill nothing more
    _buy(services, "o2", "u1", f"ad:{impression}")
    services.commerce.orders.after_paid(paid)
    assert start - _balance(services) == charged
    assert services.ads.reports.reconcile()["ok"] is True
    assert services.commerce.reconcile()["ok"] is True
    (row,) = services.ads.reports.report(group_by=["campaign"], advertiser_id="m1")
    assert row.conversions == 1 and row.spend_fen == charged and row.clicks == 1
