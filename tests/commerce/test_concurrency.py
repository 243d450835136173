"""Concurrent requests on a real database (a SQLite file; PostgreSQL too where its server is
installed): coins are never spent twice, an idempotency key moves money once, and stock
never goes below zero, whatever the interleaving."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from laotie.commerce import CommerceService, GiftCreate, OrderCreate, PayoutCreate, UnlockCreate
from laotie.core.errors import Conflict, InsufficientBalance
from laotie.store.db import Database
from laotie.store.repos import ledger

from .conftest import build_world, settle_top_up

THREADS = 16


pytestmark = pytest.mark.both_backends


@pytest.fixture
def shared(database_url: str, tmp_path: Path) -> Iterator[CommerceService]:
    """A commerce world on a database that several threads write at once."""
    db = Database(database_url)
    db.migrate()
    service = build_world(db, tmp_path)
    yield service
    db.dispose()


def _race(work: Callable[[int], Any]) -> tuple[list[Any], list[Exception]]:
    """Run ``work(i)`` on THREADS threads released together: (results, errors)."""
    barrier = threading.Barrier(THREADS)
    results: list[Any] = []
    errors: list[Exception] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            value = work(i)
        except Exception as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(value)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def test_concurrent_gifts_never_spend_more_coins_than_the_wallet_holds(shared):
    settle_top_up(shared, "u1", 500)
    results, errors = _race(
        lambda i: shared.live.send_gift(
            "r1", GiftCreate(user_id="u1", gift="g", price_fen=100, idempotency_key=f"g{i}")
        )
    )
    assert len(results) == 5
    assert all(isinstance(e, InsufficientBalance) for e in errors) and len(errors) == THREADS - 5
    assert shared.wallet_fen("u1") == 0
    assert shared.reconcile()["ok"]


def test_one_idempotency_key_sent_at_once_moves_money_once(shared):
    settle_top_up(shared, "u1", 500)
    results, errors = _race(
        lambda i: shared.live.send_gift(
            "r1", GiftCreate(user_id="u1", gift="g", price_fen=100, idempotency_key="same")
        )
    )
    assert errors == [] or all(isinstance(e, Conflict) for e in errors)
    assert sum(r.created for r in results) == 1
    assert shared.wallet_fen("u1") == 400
    unlocks, errors = _race(
        lambda i: shared.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e4"))
    )
    assert sum(u.created for u in unlocks) == 1
    assert shared.wallet_fen("u1") == 370
    assert shared.reconcile()["ok"]


def test_concurrent_orders_never_take_stock_below_zero(shared):
    results, errors = _race(
        lambda i: shared.orders.create_order(
            OrderCreate(id=f"o{i}", user_id="u2", product_id="p1", quantity=1)
        )
    )
    assert len(results) == 5 and len(errors) == THREADS - 5
    assert all(isinstance(e, Conflict) and "in stock" in e.message for e in errors)
    assert shared.shops.products("shop1")[0].stock == 0
    with shared.db.session() as session:
        assert ledger.unbalanced_journals(session) == []


def test_concurrent_payouts_never_pay_more_than_is_owed(shared):
    settle_top_up(shared, "u1", 500)
    shared.live.send_gift(
        "r1", GiftCreate(user_id="u1", gift="g", price_fen=400, idempotency_key="g")
    )  # the creator is owed 200
    results, errors = _race(
        lambda i: shared.payouts.pay_out(
            PayoutCreate(kind="creator", account_id="c1", amount_fen=30, idempotency_key=f"p{i}")
        )
    )
    assert len(results) == 6 and sum(r.amount_fen for r in results) == 180
    assert all(isinstance(e, InsufficientBalance) for e in errors)
    assert shared.payouts.owed_fen("creator", "c1") == 20
    assert shared.reconcile()["ok"]
