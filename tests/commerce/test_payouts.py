"""Payouts: creators and merchants are paid what the ledger says they are owed, once per key,
never more (also under concurrent requests); the ledger stays balanced."""

from __future__ import annotations

import pytest

from laotie.commerce import GiftCreate, OrderCreate, PayoutCreate
from laotie.core.errors import Conflict, InsufficientBalance, NotFound


def _earn(world, top_up) -> None:
    top_up(world, "u1", 1000)
    world.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="x", price_fen=400, idempotency_key="g")
    )  # c1 is owed 200
    order = world.orders.create_order(OrderCreate(id="o1", user_id="u2", product_id="p1"))
    world.payments.settle(out_trade_no=order.out_trade_no, transaction_id="T", amount_fen=1999)


def test_payouts_never_exceed_what_is_owed_and_pay_once(world, top_up) -> None:
    _earn(world, top_up)
    payouts = world.payouts
    assert payouts.owed_fen("creator", "c1") == 200
    merchant_owed = payouts.owed_fen("merchant", "m1")
    assert merchant_owed == 1999 - 99
    paid = payouts.pay_out(
        PayoutCreate(kind="creator", account_id="c1", amount_fen=150, idempotency_key="k1")
    )
    assert (paid.amount_fen, paid.owed_fen) == (150, 50)
    again = payouts.pay_out(
        PayoutCreate(kind="creator", account_id="c1", amount_fen=150, idempotency_key="k1")
    )
    assert again.id == paid.id and payouts.owed_fen("creator", "c1") == 50
    with pytest.raises(Conflict):
        payouts.pay_out(
            PayoutCreate(kind="creator", account_id="c1", amount_fen=10, idempotency_key="k1")
        )
    with pytest.raises(InsufficientBalance) as caught:
        payouts.pay_out(
            PayoutCreate(kind="creator", account_id="c1", amount_fen=51, idempotency_key="k2")
        )
    assert caught.value.context == {"field": "amount_fen", "limit": 50}
    with pytest.raises(NotFound):
        payouts.owed_fen("merchant", "nobody")
    payouts.pay_out(
        PayoutCreate(
            kind="merchant", account_id="m1", amount_fen=merchant_owed, idempotency_key="m"
        )
    )
    assert payouts.owed_fen("merchant", "m1") == 0
    assert world.reconcile()["ok"]
