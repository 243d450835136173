"""Ledger properties under random sequences of top-ups, gifts, unlocks, orders, payments,
shipping, refunds, chargebacks and replays (real SQLite): every journal balances, the ledger
sums to zero, wallets equal their ledger accounts and never go negative, stock never goes
negative and every unit is either in stock or in a live order, cash equals what the
provider settled and did not refund."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laotie.commerce import CommerceService, GiftCreate, OrderCreate, UnlockCreate
from laotie.core.clock import ManualClock
from laotie.core.errors import Conflict, InsufficientBalance, InvalidInput, NotFound
from laotie.store.db import Database
from laotie.store.repos import ledger
from laotie.store.tables import ComOrder, ComPayment, ComProduct

from .conftest import EPISODES, START_MS, USERS, build_world, catalog_door, settle_top_up

STOCK = 5


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("template")
    db = Database(f"sqlite:///{home / 'laotie.db'}")
    db.migrate()
    build_world(db, home)
    db.dispose()
    return home / "laotie.db"


user = st.sampled_from(USERS)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("topup"), user, st.integers(1, 400)),
        st.tuples(st.just("gift"), user, st.integers(1, 300), st.integers(0, 4)),
        st.tuples(st.just("unlock"), user, st.integers(0, EPISODES)),
        st.tuples(st.just("order"), user, st.integers(1, 3), st.integers(0, 4)),
        st.tuples(st.just("pay"), st.integers(0, 9)),
        st.tuples(st.just("ship"), st.integers(0, 4)),
        st.tuples(st.just("refund_order"), st.integers(0, 4)),
        st.tuples(st.just("refund_gift"), st.integers(0, 9)),
        st.tuples(st.just("chargeback"), st.integers(0, 9)),
        st.tuples(st.just("replay"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=40,
)


def _apply(service: CommerceService, op: tuple, trades: list[str], gifts: list[int]) -> None:
    kind = op[0]
    try:
        if kind == "topup":
            trades.append(settle_top_up(service, op[1], op[2]))
        elif kind == "gift":
            sent = service.live.send_gift(
                "r1",
                GiftCreate(user_id=op[1], gift="g", price_fen=op[2], idempotency_key=f"k{op[3]}"),
            )
            gifts.append(sent.id)
        elif kind == "unlock":
            target = {"series_id": "s1"} if op[2] == 0 else {"item_id": f"s1-e{op[2]}"}
            service.content.unlock(UnlockCreate(user_id=op[1], **target))
        elif kind == "order":
            service.orders.create_order(
                OrderCreate(id=f"o{op[3]}", user_id=op[1], product_id="p1", quantity=op[2])
            )
        elif kind == "pay":
            orders = _orders(service)
            if orders:
                order = orders[op[1] % len(orders)]
                service.payments.settle(
                    out_trade_no=order.out_trade_no, transaction_id="T", amount_fen=order.amount_fen
                )
        elif kind == "ship":
            service.orders.ship(f"o{op[1]}")
        elif kind == "refund_order":
            service.orders.refund(f"o{op[1]}")
        elif kind == "refund_gift" and gifts:
            service.live.refund_gift(gifts[op[1] % len(gifts)])
        elif kind in ("chargeback", "replay") and trades:
            trade = trades[op[1] % len(trades)]
            if kind == "chargeback":
                service.payments.refund_settled(
                    out_trade_no=trade, refund_fen=_amount(service, trade)
                )
            else:
                service.payments.settle(
                    out_trade_no=trade, transaction_id="T", amount_fen=_amount(service, trade)
                )
    except (InsufficientBalance, Conflict, InvalidInput, NotFound) as exc:
        assert exc.message  # refused with a reason, nothing moved (checked below)


def _orders(service: CommerceService) -> list:
    return [o for u in USERS for o in service.orders.orders(user_id=u)]


def _amount(service: CommerceService, trade: str) -> int:
    return service.payments.payment(trade).amount_fen


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=ops)
def test_the_ledger_balances_after_any_sequence(template, tmp_path, sequence):
    path = tmp_path / f"run-{abs(hash(tuple(sequence)))}.db"
    shutil.copy(template, path)
    db = Database(f"sqlite:///{path}")
    service = CommerceService(db, door=catalog_door(db, tmp_path), clock=ManualClock(START_MS))
    trades: list[str] = []
    gifts: list[int] = []
    for op in sequence:
        _apply(service, op, trades, gifts)
    check = service.reconcile()
    assert check["ok"], check
    with db.session() as session:
        balances = ledger.account_balances(session)
        stock = session.query(ComProduct.stock).scalar()
        held = sum(o.quantity for o in session.query(ComOrder).where(ComOrder.status != "refunded"))
        settled = sum(
            p.amount_fen for p in session.query(ComPayment).where(ComPayment.status == "paid")
        )
    assert stock >= 0 and stock + held == STOCK
    assert balances.get("platform:cash", 0) == settled
    db.dispose()
    path.unlink()
