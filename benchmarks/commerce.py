"""Commerce write speed: gifts/s and paid orders/s through ``CommerceService`` against raw
``sqlite3`` doing the same writes, on the same schema, in the same run.

A gift = one transaction: conditional wallet debit, a 3-leg journal, the gift row. A paid
order = two transactions: conditional stock take, the order and its payment row; then the
settlement: payment and order marked paid and a 3-leg journal. Both sides run on a freshly
migrated SQLite file with laotie's pragmas (WAL, synchronous=FULL: every commit fsynced),
one request at a time, so the ratio is the cost of laotie's Python layers (validation,
SQLAlchemy, idempotency lookups) over the bare statements.

Run it with ``laotie bench commerce`` (``--quick`` for a smoke run); results go to
``benchmarks/results/commerce.json``.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.ads import AdsService, AdvertiserCreate
from laotie.catalog import CatalogService
from laotie.commerce import (
    CommerceService,
    GiftCreate,
    OrderCreate,
    ProductCreate,
    RoomCreate,
    ShopCreate,
    TopUpCreate,
)
from laotie.core.catalog import CreatorCreate, UserCreate
from laotie.core.clock import ManualClock
from laotie.core.settings import load_settings
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.trust import TrustService

RESULTS = Path(__file__).resolve().parent / "results" / "commerce.json"
T0_MS = 1_795_900_000_000
GIFT_FEN = 100
PRICE_FEN = 1999


def _world(home: Path, gifts: int, orders: int) -> tuple[Database, CommerceService]:
    db = Database(f"sqlite:///{home / 'laotie.db'}")
    db.migrate()
    clock = ManualClock(T0_MS)
    with db.session() as session:
        catalog.create_user(session, user=UserCreate(id="u1"))
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="C"))
    AdsService(db, settings=load_settings(home=home), clock=clock).accounts.create_advertiser(
        AdvertiserCreate(id="m1", name="M")
    )
    door = CatalogService(db, screen=TrustService(db, media_dir=home / "media").screening)
    service = CommerceService(db, door=door, clock=clock)
    service.live.start(RoomCreate(id="r1", creator_id="c1", title="Live"))
    service.shops.create_shop(ShopCreate(id="shop1", merchant_id="m1", name="S"))
    service.shops.add_product(
        "shop1", ProductCreate(id="p1", sku="A", title="T", price_fen=PRICE_FEN, stock=orders)
    )
    payment = service.payments.start_top_up(
        TopUpCreate(user_id="u1", amount_fen=gifts * GIFT_FEN * 2)
    )
    service.payments.settle(
        out_trade_no=payment.out_trade_no, transaction_id="T", amount_fen=payment.amount_fen
    )
    return db, service


def _laotie(service: CommerceService, gifts: int, orders: int, tag: str) -> dict[str, float]:
    start = time.perf_counter()
    for i in range(gifts):
        service.live.send_gift(
            "r1",
            GiftCreate(user_id="u1", gift="g", price_fen=GIFT_FEN, idempotency_key=f"{tag}{i}"),
        )
    gift_s = time.perf_counter() - start
    start = time.perf_counter()
    for i in range(orders):
        order = service.orders.create_order(
            OrderCreate(id=f"{tag}o{i}", user_id="u1", product_id="p1", quantity=1)
        )
        service.payments.settle(
            out_trade_no=str(order.out_trade_no), transaction_id="T", amount_fen=order.amount_fen
        )
    order_s = time.perf_counter() - start
    return {"gifts": gifts / gift_s, "orders": orders / order_s}


def _raw(path: Path, gifts: int, orders: int, tag: str) -> dict[str, float]:
    """The peer: the same rows written with bare ``sqlite3`` statements."""
    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        con.execute(f"PRAGMA {pragma}")
    user, room, creator = 1, 1, 1
    start = time.perf_counter()
    for i in range(gifts):
        con.execute("BEGIN IMMEDIATE")
        moved = con.execute(
            "UPDATE com_wallets SET balance_fen = balance_fen - ? WHERE user_id = ? AND "
            "balance_fen >= ?",
            (GIFT_FEN, user, GIFT_FEN),
        ).rowcount
        assert moved == 1
        journal = _journal(
            con,
            f"raw-gift:{tag}{i}",
            "gift",
            [
                ("user:1:coins", GIFT_FEN),
                ("creator:1:earnings", -50),
                ("platform:revenue:gifting", -50),
            ],
        )
        con.execute(
            "INSERT INTO com_gifts (txn_key, user_id, room_id, creator_id, gift, price_fen, "
            "creator_fen, journal_id, status, ts_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (f"raw-gift:{tag}{i}", user, room, creator, "g", GIFT_FEN, 50, journal, "sent", T0_MS),
        )
        con.execute("COMMIT")
    gift_s = time.perf_counter() - start
    con.execute("UPDATE com_products SET stock = stock + ? WHERE id = 1", (orders,))
    start = time.perf_counter()
    for i in range(orders):
        con.execute("BEGIN IMMEDIATE")
        moved = con.execute(
            "UPDATE com_products SET stock = stock - 1 WHERE id = 1 AND stock >= 1"
        ).rowcount
        assert moved == 1
        order = con.execute(
            "INSERT INTO com_orders (external_id, user_id, product_id, shop_id, quantity, "
            "amount_fen, commission_fen, source, status, created_at_ms) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (f"raw{tag}o{i}", user, 1, 1, 1, PRICE_FEN, 99, "direct", "created", T0_MS),
        ).lastrowid
        con.execute(
            "INSERT INTO com_payments (out_trade_no, provider, purpose, user_id, order_id, "
            "amount_fen, status, created_at_ms) VALUES (?,?,?,?,?,?,?,?)",
            (f"raw{tag}p{i}", "in_process", "order", user, order, PRICE_FEN, "created", T0_MS),
        )
        con.execute("COMMIT")
        con.execute("BEGIN IMMEDIATE")
        journal = _journal(
            con,
            f"raw-order:{tag}{i}",
            "order_paid",
            [
                ("platform:cash", PRICE_FEN),
                ("merchant:1:payable", 99 - PRICE_FEN),
                ("platform:revenue:commission", -99),
            ],
        )
        con.execute(
            "UPDATE com_payments SET status='paid', journal_id=?, paid_at_ms=? WHERE "
            "out_trade_no=?",
            (journal, T0_MS, f"raw{tag}p{i}"),
        )
        con.execute(
            "UPDATE com_orders SET status='paid', journal_id=?, paid_at_ms=? WHERE id=?",
            (journal, T0_MS, order),
        )
        con.execute("COMMIT")
    order_s = time.perf_counter() - start
    con.close()
    return {"gifts": gifts / gift_s, "orders": orders / order_s}


def _journal(con: sqlite3.Connection, key: str, kind: str, legs: list[tuple[str, int]]) -> int:
    journal = con.execute(
        "INSERT INTO ad_journal (txn_key, kind, advertiser_id, amount_fen, day, ts_ms) "
        "VALUES (?,?,NULL,?,?,?)",
        (key, kind, sum(f for _, f in legs if f > 0), "2026-11-28", T0_MS),
    ).lastrowid
    con.executemany(
        "INSERT INTO ad_postings (journal_id, account, amount_fen) VALUES (?,?,?)",
        [(journal, account, fen) for account, fen in legs],
    )
    return int(journal or 0)


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure both paths (best of ``repeats`` rounds, alternating) and record the result."""
    gifts, orders, repeats = (100, 50, 1) if quick else (1000, 500, 3)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="laotie-bench-commerce-") as tmp:
        home = Path(tmp)
        db, service = _world(home, gifts * repeats * 2, orders * repeats * 2)
        best = {"laotie": {"gifts": 0.0, "orders": 0.0}, "raw": {"gifts": 0.0, "orders": 0.0}}
        for round_ in range(repeats):
            for name, rates in (
                ("laotie", _laotie(service, gifts, orders, f"r{round_}")),
                ("raw", _raw(home / "laotie.db", gifts, orders, f"r{round_}")),
            ):
                for key, value in rates.items():
                    best[name][key] = max(best[name][key], value)
        check = service.reconcile()
        db.dispose()
    result = {
        "area": "commerce",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "python": platform.python_version(),
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "gifts_timed": gifts,
        "orders_timed": orders,
        "repeats": repeats,
        "per_s": {k: {m: round(v, 1) for m, v in r.items()} for k, r in best.items()},
        "laotie_vs_raw": {
            m: round(best["laotie"][m] / best["raw"][m], 2) for m in ("gifts", "orders")
        },
        "ledger_ok_after": check["ok"],
        "load_average_1min": round(max(load_before, os.getloadavg()[0]), 2),
    }
    _print(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return result


def _print(result: dict[str, Any]) -> None:
    table = Table(
        title=f"commerce writes on SQLite (synchronous=FULL), best of {result['repeats']} "
        f"({result['hardware']}, load {result['load_average_1min']})"
    )
    for name in ("path", "gifts/s", "paid orders/s"):
        table.add_column(name, justify="left" if name == "path" else "right")
    per_s, ratio = result["per_s"], result["laotie_vs_raw"]
    table.add_row(
        "raw sqlite3 (peer)", f"{per_s['raw']['gifts']:,.0f}", f"{per_s['raw']['orders']:,.0f}"
    )
    table.add_row(
        "CommerceService", f"{per_s['laotie']['gifts']:,.0f}", f"{per_s['laotie']['orders']:,.0f}"
    )
    table.add_row("laotie / raw", f"{ratio['gifts']:.2f}", f"{ratio['orders']:.2f}")
    Console().print(table)
    Console().print(f"ledger reconciles after the run: {result['ledger_ok_after']}")
