"""One writer process of tests/store/test_multiprocess.py: ``python concurrent_writer.py JOB``.

JOB is a JSON object: ``url`` (the database), ``role`` (``ingest`` or ``spend``), ``index``
(this process's number) and ``go`` (a file whose appearance starts the work, created once every
process has written its ``ready-N`` file next to it, so that all of them write at once).
The process prints one JSON object of what it saw and exits 0.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

from laotie.catalog import CatalogService
from laotie.commerce import CommerceService, GiftCreate, OrderCreate, UnlockCreate
from laotie.core.clock import ManualClock
from laotie.core.errors import Conflict, InsufficientBalance
from laotie.store.db import Database
from laotie.store.delivery import Subscription
from laotie.store.eventlog import EventLog, StoredEvent
from laotie.trust import TrustService

EVENTS = 1_000
USERS = 97
BATCH = 100
T0 = 1_795_900_000_000
GIFT_FEN = 100
GIFTS_PER_PROCESS = 12
ORDERS_PER_PROCESS = 3


def events() -> list[dict[str, Any]]:
    """The events every ingest process sends (the same ids, in its own order)."""
    return [
        {
            "id": f"e{n}",
            "type": "watch",
            "user_id": f"u{n % USERS}",
            "item_id": f"i{n % 10}",
            "ts_ms": T0 + n,
            "watch_ms": 1_000,
            "duration_ms": 2_000,
        }
        for n in range(EVENTS)
    ]


def ingest(db: Database, index: int) -> dict[str, Any]:
    """Send every event in batches, in a shuffled order; count what the log answered."""
    log = EventLog(db)
    notified: list[str] = []

    def remember(batch: list[StoredEvent]) -> None:
        notified.extend(e.client_event_id for e in batch)

    log.subscribe(Subscription(f"writer-{index}", remember))  # this process's own cursor
    mine = events()
    random.Random(index).shuffle(mine)
    accepted = duplicate = 0
    started = time.time()
    for start in range(0, len(mine), BATCH):
        result = log.ingest(mine[start : start + BATCH])
        assert result.rejected == 0, result.errors
        accepted += result.accepted
        duplicate += result.duplicate
    return {
        "accepted": accepted,
        "duplicate": duplicate,
        "notified": notified,
        "started": started,
        "finished": time.time(),
    }


def _attempt(work: Any) -> str:
    try:
        outcome = work()
    except InsufficientBalance:
        return "short"
    except Conflict as exc:
        return f"conflict: {exc.message}"
    return "created" if getattr(outcome, "created", True) else "replayed"


def spend(db: Database, index: int) -> dict[str, Any]:
    """Race the other processes for one wallet's coins and one product's stock."""
    # no item is added here; the door is the one the platform wires, unused by these trades
    door = CatalogService(db, screen=TrustService(db, media_dir=Path("media")).screening)
    service = CommerceService(db, door=door, clock=ManualClock(T0), gift_creator_bp=5_000)
    outcomes: dict[str, str] = {}
    outcomes["same"] = _attempt(
        lambda: service.live.send_gift(
            "r1",
            GiftCreate(user_id="u1", gift="g", price_fen=GIFT_FEN, idempotency_key="same"),
        )
    )
    outcomes["unlock"] = _attempt(
        lambda: service.content.unlock(UnlockCreate(user_id="u1", item_id="s1-e4"))
    )
    for n in range(GIFTS_PER_PROCESS):
        key = f"g{index}-{n}"
        outcomes[key] = _attempt(
            lambda key=key: service.live.send_gift(
                "r1", GiftCreate(user_id="u1", gift="g", price_fen=GIFT_FEN, idempotency_key=key)
            )
        )
    for n in range(ORDERS_PER_PROCESS):
        order = f"o{index}-{n}"
        outcomes[order] = _attempt(
            lambda order=order: service.orders.create_order(
                OrderCreate(id=order, user_id="u2", product_id="p1", quantity=1)
            )
        )
    return {"outcomes": outcomes}


def main() -> None:
    job = json.loads(sys.argv[1])
    db = Database(job["url"])
    go = Path(job["go"])
    # say this process has imported everything, then wait until every process has
    go.with_name(f"ready-{job['index']}").touch()
    deadline = time.monotonic() + 120
    while not go.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the go file never appeared")
        time.sleep(0.005)
    work = ingest if job["role"] == "ingest" else spend
    try:
        print(json.dumps(work(db, job["index"])))
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
