"""The event path: committed batches reach each subscriber in order, at least once, once per
process, off the acknowledgement when delivered in the background, and after a restart."""

from __future__ import annotations

import threading

import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.store.db import Database
from laotie.store.delivery import CURSOR_KEY, Subscription
from laotie.store.eventlog import EventLog
from laotie.store.repos import catalog
from laotie.store.tables import StoreMeta

T0 = 1_795_900_000_000


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'laotie.db'}")
    database.migrate()
    with database.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.bulk_create_items(
            s,
            items=[
                ItemCreate(id=f"i{i}", kind="video", creator_id="c1", title="t") for i in range(3)
            ],
        )
    yield database
    database.dispose()


def play(n: int) -> dict:
    return {
        "id": f"e{n}",
        "type": "play",
        "user_id": f"u{n % 2}",
        "item_id": f"i{n % 3}",
        "ts_ms": T0 + n,
    }


class Recorder:
    """A subscriber that records what it is handed and fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.failing = False
        self.threads: set[str] = set()

    def __call__(self, events) -> None:
        self.threads.add(threading.current_thread().name)
        if self.failing:
            raise RuntimeError("subscriber down")
        self.seen.extend(e.client_event_id for e in events)


def _cursor(db: Database, name: str) -> int:
    with db.session() as s:
        return int(s.get(StoreMeta, CURSOR_KEY.format(name=name)).value)


def test_inline_delivery_hands_each_event_once_in_log_order(db):
    log, rec = EventLog(db), Recorder()
    log.subscribe(Subscription("rec", rec))
    log.ingest([play(n) for n in range(5)])
    log.ingest([play(n) for n in range(3, 8)])  # 3 and 4 are duplicates: not handed again
    assert rec.seen == [f"e{n}" for n in range(8)]
    assert rec.threads == {threading.current_thread().name}
    assert _cursor(db, "rec") == log.head() == 8


def test_a_failing_subscriber_gets_its_batches_again_and_others_go_on(db):
    log, down, up = EventLog(db), Recorder(), Recorder()
    log.subscribe(Subscription("down", down))
    log.subscribe(Subscription("up", up))
    down.failing = True
    assert log.ingest([play(1), play(2)]).accepted == 2  # acknowledged despite the failure
    assert log.ingest([play(3)]).accepted == 1
    assert up.seen == ["e1", "e2", "e3"] and down.seen == []
    assert log.bus.lag == {"down": 3, "up": 0}
    down.failing = False
    assert log.drain() == 3
    assert down.seen == ["e1", "e2", "e3"]  # in order, each once
    assert log.drain() == 0


def test_a_restarted_process_resumes_each_subscriber_from_its_cursor(db):
    first, rec = EventLog(db), Recorder()
    first.subscribe(Subscription("rec", rec))
    rec.failing = True  # the process dies before the subscriber handled these
    first.ingest([play(n) for n in range(4)])
    assert _cursor(db, "rec") == 0
    second, again = EventLog(db), Recorder()
    second.subscribe(Subscription("rec", again))
    second.drain()  # read back from the hot log, with external ids
    assert again.seen == ["e0", "e1", "e2", "e3"]
    second.ingest([play(9)])
    assert again.seen[-1] == "e9" and _cursor(db, "rec") == 5


def test_a_new_subscriber_starts_at_the_head(db):
    log = EventLog(db)
    log.ingest([play(1)])
    rec = Recorder()
    log.subscribe(Subscription("late", rec))
    log.ingest([play(2)])
    assert rec.seen == ["e2"]


def test_types_filter_what_a_subscriber_is_handed(db):
    log, rec = EventLog(db), Recorder()
    log.subscribe(Subscription("likes", rec, types=frozenset({"like"})))
    log.ingest([play(1), {**play(2), "type": "like"}])
    assert rec.seen == ["e2"]


def test_background_delivery_acknowledges_before_the_subscriber_runs(db):
    log = EventLog(db)
    started, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def slow(events) -> None:
        started.set()
        release.wait(10)
        seen.extend(e.client_event_id for e in events)

    log.subscribe(Subscription("slow", slow))
    log.deliver_in_background()
    try:
        assert log.ingest([play(1)]).accepted == 1  # returned while the subscriber waits
        assert started.wait(10) and seen == []
        release.set()
    finally:
        log.close()  # delivers what is pending, then stops the thread
    assert seen == ["e1"]


def test_a_backlog_beyond_memory_is_caught_up_from_the_hot_log(db, monkeypatch):
    monkeypatch.setattr("laotie.store.delivery.MAX_PENDING_EVENTS", 2)
    monkeypatch.setattr("laotie.store.delivery.CATCH_UP_EVENTS", 3)
    log, rec = EventLog(db), Recorder()
    log.subscribe(Subscription("rec", rec))
    rec.failing = True
    for n in range(0, 10, 2):
        log.ingest([play(n), play(n + 1)])
    rec.failing = False
    log.drain()
    assert rec.seen == [f"e{n}" for n in range(10)]


def test_two_subscribers_may_not_share_a_name(db):
    log = EventLog(db)
    log.subscribe(Subscription("a", Recorder()))
    with pytest.raises(ValueError, match="'a'"):
        log.subscribe(Subscription("a", Recorder()))
