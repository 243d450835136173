"""Several OS processes write one database at once (a SQLite file, and a real PostgreSQL):
the event log stores and announces each event once, and coins and stock are never spent twice.

Threads in one process share the Python lock around ingest; processes share only the
database, so these tests check the guarantees that must come from it (unique constraints,
the write lock, conditional updates).
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.store.db import Database
from laotie.store.repos import catalog, ledger
from laotie.store.tables import Event, User

from ..commerce.conftest import build_world, settle_top_up
from .concurrent_writer import EVENTS, GIFT_FEN, ORDERS_PER_PROCESS, USERS

pytestmark = pytest.mark.both_backends

PROCESSES = 4
WRITER = Path(__file__).with_name("concurrent_writer.py")


def _race(url: str, role: str, go: Path) -> list[dict[str, Any]]:
    """Start PROCESSES writers, release them together, and return what each printed."""
    jobs = [
        subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                json.dumps({"url": url, "role": role, "index": i, "go": str(go)}),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(PROCESSES)
    ]
    deadline = time.monotonic() + 240
    while len(list(go.parent.glob("ready-*"))) < PROCESSES:
        assert time.monotonic() < deadline, "the writers never got ready"
        assert all(job.poll() is None for job in jobs), "a writer exited before the start"
        time.sleep(0.05)
    go.touch()
    reports = []
    for job in jobs:
        out, err = job.communicate(timeout=240)
        assert job.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


def test_overlapping_batches_from_several_processes_are_stored_and_announced_once(db, tmp_path):
    with db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="c"))
        catalog.bulk_create_items(
            session,
            items=[
                ItemCreate(id=f"i{i}", kind="video", creator_id="c1", title="t") for i in range(10)
            ],
        )
    reports = _race(db.url, "ingest", tmp_path / "go")

    assert sum(r["accepted"] for r in reports) == EVENTS
    assert sum(r["accepted"] + r["duplicate"] for r in reports) == EVENTS * PROCESSES
    # every accepted event reached a subscriber; a process's subscriber hears its own events
    # and, where its cursor has a gap, the other processes' events read back from the log
    # (at least once per subscriber, never an event that was not stored)
    notified = Counter(e for r in reports for e in r["notified"])
    assert len(notified) == EVENTS
    assert all(len(set(r["notified"])) >= r["accepted"] for r in reports)
    assert all(len(set(r["notified"])) == len(r["notified"]) for r in reports)
    # the writers really raced: two were sending at once (which of them gets to store an
    # event is up to the database: SQLite's write lock is not fair)
    spans = sorted((r["started"], r["finished"]) for r in reports)
    assert any(later[0] < earlier[1] for earlier, later in itertools.pairwise(spans))
    with db.session() as session:
        rows = session.execute(
            select(func.count(), func.count(func.distinct(Event.client_event_id)))
        ).one()
        users = session.scalar(select(func.count()).select_from(User))
    assert tuple(rows) == (EVENTS, EVENTS)
    assert users == USERS


def test_processes_racing_for_one_wallet_and_one_product_never_overspend(db, tmp_path):
    service = build_world(db, tmp_path)
    funded = 1_000
    settle_top_up(service, "u1", funded)
    reports = _race(db.url, "spend", tmp_path / "go")
    outcomes = [(key, result) for r in reports for key, result in r["outcomes"].items()]
    unexpected = [o for o in outcomes if o[1] not in ("created", "replayed", "short")]
    # the only conflicts allowed: the same key racing itself, and products out of stock
    assert all(
        key == "same" or (key.startswith("o") and "in stock" in result)
        for key, result in unexpected
    ), unexpected

    gifts = sum(1 for key, r in outcomes if key.startswith(("g", "same")) and r == "created")
    unlocks = sum(1 for key, r in outcomes if key == "unlock" and r == "created")
    orders = sum(1 for key, r in outcomes if key.startswith("o") and r == "created")
    assert sum(1 for key, r in outcomes if key == "same" and r == "created") == 1
    assert unlocks <= 1
    wallet = service.wallet_fen("u1")
    assert wallet == funded - gifts * GIFT_FEN - unlocks * 30
    assert 0 <= wallet < GIFT_FEN  # more was asked than the wallet held: it was drained
    assert orders == 5 < PROCESSES * ORDERS_PER_PROCESS
    assert service.shops.products("shop1")[0].stock == 0
    assert service.reconcile()["ok"]
    with db.session() as session:
        assert ledger.unbalanced_journals(session) == []
