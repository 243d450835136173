"""Periodic jobs with a persisted schedule: each job runs once per due time, and after
downtime a job that missed several due times runs once (not once per missed slot).

A job is due at ``offset`` past local midnight and then every ``every_ms`` (a daily job at
03:00 Asia/Shanghai: ``every_ms=MS_PER_DAY, offset_ms=3 * MS_PER_HOUR``). The last due time a
job ran for is stored in ``insights_jobs``, so restarts neither repeat nor skip work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE, Clock, day_start_ms
from laotie.core.errors import InvalidInput
from laotie.store.db import Database
from laotie.store.repos import insights as repo

log = logging.getLogger(__name__)
#: a failed job is tried again after this long (not on every poll)
RETRY_AFTER_MS = 10 * MS_PER_MINUTE


@dataclass(frozen=True)
class Job:
    """A periodic job: ``run(due_ms)`` does the work and returns a one-line summary."""

    name: str
    run: Callable[[int], str]
    every_ms: int = MS_PER_DAY
    offset_ms: int = 0

    def __post_init__(self) -> None:
        if self.every_ms < MS_PER_MINUTE or MS_PER_DAY % self.every_ms:
            raise InvalidInput(
                "every_ms must divide a day and be at least a minute",
                field="every_ms",
                limit=MS_PER_MINUTE,
            )
        if not 0 <= self.offset_ms < self.every_ms:
            raise InvalidInput("offset_ms must be in [0, every_ms)", field="offset_ms")


@dataclass(frozen=True)
class JobResult:
    """What one run of a job did."""

    name: str
    due_ms: int
    status: str
    summary: str


def latest_due_ms(now_ms: int, *, every_ms: int, offset_ms: int, tz: str) -> int:
    """The latest due time <= ``now_ms`` of a job due at local midnight + offset + k * every."""
    start = day_start_ms(now_ms, tz) + offset_ms
    if start > now_ms:
        start = day_start_ms(now_ms - MS_PER_DAY, tz) + offset_ms
        start += (MS_PER_DAY // every_ms - 1) * every_ms
        return start if start <= now_ms else start - every_ms
    return start + (now_ms - start) // every_ms * every_ms


class Scheduler:
    """Runs the jobs that are due, recording each run in the database."""

    def __init__(self, db: Database, clock: Clock, jobs: Sequence[Job], *, tz: str) -> None:
        names = [j.name for j in jobs]
        if len(set(names)) != len(names):
            raise InvalidInput("job names must be unique", field="jobs")
        self.db = db
        self.clock = clock
        self.jobs = list(jobs)
        self.tz = tz

    def due(self) -> list[tuple[Job, int]]:
        """The jobs due now, each with the due time it would run for."""
        now = self.clock.now_ms()
        pending = []
        with self.db.session() as session:
            for job in self.jobs:
                due = latest_due_ms(now, every_ms=job.every_ms, offset_ms=job.offset_ms, tz=self.tz)
                state = repo.job_state(session, name=job.name)
                if state.last_due_ms is not None and state.last_due_ms >= due:
                    continue
                retrying = state.last_status == "failed" and state.last_started_ms is not None
                if retrying and now - state.last_started_ms < RETRY_AFTER_MS:  # type: ignore[operator]
                    continue
                pending.append((job, due))
        return pending

    def run_pending(self) -> list[JobResult]:
        """Run every due job once; a failure is recorded and retried after a pause."""
        results = []
        for job, due in self.due():
            started = self.clock.now_ms()
            with self.db.session() as session:
                state = repo.job_state(session, name=job.name)
                state.last_started_ms = started
                state.last_status = "running"
            try:
                summary = job.run(due)
                status, error = "ok", None
            except Exception as exc:  # a job's failure must not stop the worker
                log.exception("job %s failed", job.name)
                summary, status, error = f"{type(exc).__name__}: {exc}", "failed", str(exc)
            with self.db.session() as session:
                state = repo.job_state(session, name=job.name)
                state.last_finished_ms = self.clock.now_ms()
                state.last_status = status
                state.last_error = error
                state.runs += 1
                if status == "ok":
                    state.last_due_ms = due
            log.info("job %s (due %d): %s %s", job.name, due, status, summary)
            results.append(JobResult(job.name, due, status, summary))
        return results

    def run_forever(self, *, poll_s: float = 30.0, stop: threading.Event | None = None) -> None:
        """Poll every ``poll_s`` seconds until ``stop`` is set."""
        stop = stop or threading.Event()
        while not stop.is_set():
            self.run_pending()
            stop.wait(poll_s)

    def states(self) -> list[dict[str, object]]:
        """Every job's persisted state and its next due time, for display."""
        now = self.clock.now_ms()
        with self.db.session() as session:
            rows = []
            for job in self.jobs:
                state = repo.job_state(session, name=job.name)
                due = latest_due_ms(now, every_ms=job.every_ms, offset_ms=job.offset_ms, tz=self.tz)
                rows.append(
                    {
                        "name": job.name,
                        "every_minutes": job.every_ms // MS_PER_MINUTE,
                        "offset_minutes": job.offset_ms // MS_PER_MINUTE,
                        "last_due_ms": state.last_due_ms,
                        "last_status": state.last_status,
                        "last_error": state.last_error,
                        "runs": state.runs,
                        "next_due_ms": due
                        if state.last_due_ms is None or state.last_due_ms < due
                        else due + job.every_ms,
                    }
                )
        return rows
