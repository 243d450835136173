"""The money core on a real SQLite file: top-ups, gifts, unlocks, orders and their reversals
each move exactly the right fen between the right accounts, once."""

import pytest

from laotie.commerce import CardCreate, GiftCreate, OrderCreate, UnlockCreate
from laotie.core.errors import Conflict, InsufficientBalance, InvalidInput, PermissionDenied
from laotie.store.repos import ledger


def _balances(service):
    with service.db.session() as session:
        return ledger.account_balances(session)


def test_a_top_up_settles_once_and_a_wrong_amount_is_refused(world, top_up):
    trade = top_up(world, "u1", 1000)
    assert world.wallet_fen("u1") == 1000
    again = world.payments.settle(out_trade_no=trade, transaction_id="T", amount_fen=1000)
    assert again is False
    assert world.wallet_fen("u1") == 1000
    with pytest.raises(Conflict, match="provider says 999"):
        world.payments.settle(out_trade_no=trade, transaction_id="T", amount_fen=999)
    balances = _balances(world)
    assert balances["platform:cash"] == 1000
    assert world.reconcile()["ok"]


def test_a_gift_splits_between_creator_and_platform_and_refunds_exactly(world, top_up):
    top_up(world, "u1", 1000)
    gift = world.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="rocket", price_fen=333, idempotency_key="g1")
    )
    assert (gift.price_fen, gift.creator_fen, gift.created) == (333, 166, True)
    repeat = world.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="rocket", price_fen=333, idempotency_key="g1")
    )
    assert repeat.created is False and world.wallet_fen("u1") == 667
    with pytest.raises(Conflict, match="another gift"):
        world.live.send_gift(
            "r1", GiftCreate(user_id="u1", gift="rocket", price_fen=1, idempotency_key="g1")
        )
    balances = _balances(world)
    assert balances["platform:revenue:gifting"] == -167
    assert balances["creator:1:earnings"] == -166
    room, gifts = world.live.room("r1")
    assert (room.gifts, room.gifts_fen, len(gifts)) == (1, 333, 1)
    world.live.refund_gift(gift.id)
    world.live.refund_gift(gift.id)
    balances = _balances(world)
    assert balances.get("platform:revenue:gifting", 0) == 0
    assert balances.get("creator:1:earnings", 0) == 0
    assert world.wallet_fen("u1") == 1000
    assert world.reconcile()["ok"]


def test_a_gift_beyond_the_wallet_moves_nothing(world, top_up):
    top_up(world, "u1", 100)
    with pytest.raises(InsufficientBalance, match="100 fen, 101 needed"):
        world.live.send_gift(
            "r1", GiftCreate(user_id="u1", gift="x", price_fen=101, idempotency_key="g")
        )
    assert world.wallet_fen("u1") == 100
    assert world.reconcile()["ok"]


def test_episodes_after_the_paywall_are_locked_until_unlocked_once(world, top_up):
    top_up(world, "u1", 1000)
    assert world.content.offer("u1", "s1-e2").locked is False
    offer = world.content.next_episode("u1", "s1", after_position=2)
    assert (offer.item_id, offer.locked, offer.price_fen) == ("s1-e3", True, 30)
    with pytest.raises(InvalidInput, match="is free"):
        world.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e1"))
    first = world.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e3"))
    second = world.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e3"))
    assert (first.created, second.created, first.price_fen) == (True, False, 30)
    assert world.wallet_fen("u1") == 970
    assert world.content.offer("u1", "s1-e3").locked is False
    assert world.content.offer("u1", "s1-e4").locked is True
    assert world.content.offer("u2", "s1-e3").locked is True
    whole = world.content.unlock(UnlockCreate(user_id="u1", series_id="s1"))
    assert whole.price_fen == 150 and world.wallet_fen("u1") == 820
    assert world.content.offer("u1", "s1-e6").locked is False
    again = world.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e5"))
    assert again.created is False and world.wallet_fen("u1") == 820
    balances = _balances(world)
    assert balances["platform:revenue:paid_content"] == -(9 + 45)
    assert world.reconcile()["ok"]


def test_an_ad_unlock_needs_an_impression_of_that_user(world):
    with pytest.raises(InvalidInput, match="not recorded for this user"):
        world.content.unlock(
            UnlockCreate(user_id="u1", item_id="s1-e3", method="ad", ad_impression_id="imp-x")
        )


def test_an_order_takes_stock_is_paid_shipped_and_refunded_exactly(world):
    order = world.orders.create_order(
        OrderCreate(id="o1", user_id="u2", product_id="p1", quantity=2, source="item:v1")
    )
    assert (order.amount_fen, order.commission_fen, order.status) == (3998, 199, "created")
    assert world.shops.products("shop1")[0].stock == 3
    assert world.payments.settle(
        out_trade_no=order.out_trade_no, transaction_id="T1", amount_fen=3998
    )
    assert world.orders.ship("o1").status == "shipped"
    balances = _balances(world)
    assert balances["merchant:1:payable"] == -(3998 - 199)
    assert balances["platform:revenue:commission"] == -199
    summary = world.summary()
    assert summary["gmv_fen"] == 3998 and summary["gmv_by_source_fen"] == {"item": 3998}
    assert world.orders.refund("o1").status == "refunded"
    balances = _balances(world)
    assert balances.get("merchant:1:payable", 0) == 0
    assert balances.get("platform:cash", 0) == 0
    assert world.shops.products("shop1")[0].stock == 5
    assert world.summary()["gmv_fen"] == 0
    assert world.reconcile()["ok"]


def test_an_order_beyond_stock_is_refused_naming_the_stock(world):
    with pytest.raises(Conflict, match="has 5 in stock, 6 ordered"):
        world.orders.create_order(OrderCreate(id="o1", user_id="u1", product_id="p1", quantity=6))
    assert world.shops.products("shop1")[0].stock == 5


def test_a_refunded_top_up_whose_coins_were_spent_is_a_chargeback_loss(world, top_up):
    trade = top_up(world, "u1", 500)
    world.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="x", price_fen=200, idempotency_key="g")
    )
    assert world.payments.refund_settled(out_trade_no=trade, refund_fen=500)
    assert not world.payments.refund_settled(out_trade_no=trade, refund_fen=500)
    balances = _balances(world)
    assert balances["platform:chargeback_loss"] == 200
    assert balances.get("platform:cash", 0) == 0
    assert world.wallet_fen("u1") == 0
    assert world.reconcile()["ok"]


def test_the_summary_names_every_revenue_line(world, top_up):
    top_up(world, "u1", 1000)
    world.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="x", price_fen=100, idempotency_key="g")
    )
    world.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e3"))
    summary = world.summary()
    assert set(summary["revenue_fen"]) == {
        "ads",
        "live_gifting",
        "ecommerce_commission",
        "paid_content",
    }
    assert summary["revenue_fen"]["live_gifting"] == 50
    assert summary["revenue_fen"]["paid_content"] == 9
    assert (summary["paying_users"], summary["arppu_fen"]) == (1, 1000)
    assert summary["creator_earnings_fen"] == {"c1": 50 + 21}


def test_a_merchant_key_restocks_cards_and_ships_only_its_own_shop(world):
    order = world.orders.create_order(
        OrderCreate(id="o1", user_id="u2", product_id="p1", quantity=1, source="item:v1")
    )
    world.payments.settle(out_trade_no=order.out_trade_no, transaction_id="T1", amount_fen=1999)
    with pytest.raises(PermissionDenied):
        world.shops.restock("p1", 1, scope="m2")
    with pytest.raises(PermissionDenied):
        world.shops.add_card("p1", CardCreate(target="item:v1"), scope="m2")
    with pytest.raises(PermissionDenied):
        world.orders.ship("o1", scope="m2")
    assert world.shops.restock("p1", 1, scope="m1").stock == 5
    world.shops.add_card("p1", CardCreate(target="item:v1"), scope="m1")
    assert [p.id for p in world.shops.cards("item:v1")] == ["p1"]
    assert world.orders.ship("o1", scope="m1").status == "shipped"


def test_revenue_by_day_is_the_platforms_share_and_goods_gmv_net_of_refunds(world, top_up):
    top_up(world, "u1", 1000)
    world.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="x", price_fen=100, idempotency_key="g")
    )
    world.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e3"))
    for order_id in ("o1", "o2"):
        order = world.orders.create_order(
            OrderCreate(id=order_id, user_id="u2", product_id="p1", source="item:v1")
        )
        world.payments.settle(
            out_trade_no=order.out_trade_no, transaction_id=f"T{order_id}", amount_fen=1999
        )
    world.orders.refund("o2")
    (day,) = world.revenue_by_day()
    summary = world.summary()["revenue_fen"]
    assert day["gifting_revenue_fen"] == summary["live_gifting"] == 50
    assert day["paid_content_revenue_fen"] == summary["paid_content"] == 9
    assert day["commission_revenue_fen"] == summary["ecommerce_commission"] == 99
    assert day["goods_gmv_fen"] == world.summary()["gmv_fen"] == 1999
    assert world.revenue_by_day(start_day="2099-01-01") == []
