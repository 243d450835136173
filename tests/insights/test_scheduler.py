"""The worker's persisted schedule: due times, catch-up once after downtime, failures."""

from __future__ import annotations

import pytest

from laotie.core.clock import MS_PER_DAY, MS_PER_HOUR, MS_PER_MINUTE, ManualClock
from laotie.core.errors import InvalidInput
from laotie.insights.scheduler import Job, Scheduler, latest_due_ms
from laotie.store.db import Database

from .conftest import local_ms

TZ = "Asia/Shanghai"


def test_latest_due_in_local_time() -> None:
    three_am = 3 * MS_PER_HOUR
    due = latest_due_ms(
        local_ms("2026-03-02 10:00:00"), every_ms=MS_PER_DAY, offset_ms=three_am, tz=TZ
    )
    assert due == local_ms("2026-03-02 03:00:00")
    early = latest_due_ms(
        local_ms("2026-03-02 02:59:59"), every_ms=MS_PER_DAY, offset_ms=three_am, tz=TZ
    )
    assert early == local_ms("2026-03-01 03:00:00")
    quarter = latest_due_ms(
        local_ms("2026-03-02 00:20:00"), every_ms=15 * MS_PER_MINUTE, offset_ms=0, tz=TZ
    )
    assert quarter == local_ms("2026-03-02 00:15:00")
    with pytest.raises(InvalidInput):
        Job("bad", lambda due: "", every_ms=7 * MS_PER_MINUTE)


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    database.migrate()
    yield database
    database.dispose()


def test_runs_once_per_due_time_and_catches_up_once_after_downtime(db) -> None:
    clock = ManualClock(local_ms("2026-03-02 09:00:00"))
    ran: list[int] = []
    job = Job("digests", lambda due: ran.append(due) or "ok", offset_ms=8 * MS_PER_HOUR)
    scheduler = Scheduler(db, clock, [job], tz=TZ)

    assert [r.status for r in scheduler.run_pending()] == ["ok"]
    assert ran == [local_ms("2026-03-02 08:00:00")]
    assert scheduler.run_pending() == []  # same due time: nothing to do

    clock.set(local_ms("2026-03-05 12:00:00"))  # three days of downtime
    restarted = Scheduler(db, clock, [job], tz=TZ)  # state comes from the database
    assert len(restarted.run_pending()) == 1
    assert ran[-1] == local_ms("2026-03-05 08:00:00")
    assert restarted.run_pending() == []
    assert restarted.states()[0]["runs"] == 2


def test_failures_are_recorded_and_retried_after_a_pause(db) -> None:
    clock = ManualClock(local_ms("2026-03-02 09:00:00"))
    attempts: list[int] = []

    def flaky(due: int) -> str:
        attempts.append(due)
        if len(attempts) == 1:
            raise RuntimeError("smtp down")
        return "sent"

    scheduler = Scheduler(db, clock, [Job("digests", flaky)], tz=TZ)
    assert scheduler.run_pending()[0].status == "failed"
    assert scheduler.states()[0]["last_error"] == "smtp down"
    assert scheduler.run_pending() == []  # not retried on every poll
    clock.advance(11 * MS_PER_MINUTE)
    assert scheduler.run_pending()[0].status == "ok"
    assert attempts[0] == attempts[1]  # the retry is for the same due time
