"""``laotie worker``: periodic jobs (lake compaction, nightly training, digests) on a
persisted schedule, missed runs after downtime caught up once; with ``--jobs``, a consumer of
the studio job queue instead."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.core.clock import MS_PER_HOUR, day_start_ms, to_datetime
from laotie.insights.kpis import day_of_ms
from laotie.insights.scheduler import Job, Scheduler
from laotie.studio import RedisJobQueue
from laotie.wiring import Services

#: local time of day (hours) at which each daily job is due
COMPACT_AT_HOUR = 3
TRAIN_AT_HOUR = 4
DIGESTS_AT_HOUR = 8


def build_jobs(svc: Services) -> list[Job]:
    """The worker's jobs on these services (training only where a service can train)."""

    def compact(due_ms: int) -> str:
        report = svc.lake.compact(before_ms=day_start_ms(due_ms, "UTC"))
        return f"compacted {report.rows} events into {report.parts} parts"

    def digests(due_ms: int) -> str:
        day = day_of_ms(due_ms, tz=svc.settings.timezone) - timedelta(days=1)
        run = svc.insights.programme.send_digests(day=day)
        return f"{run.day}: sent {run.sent}, skipped {run.skipped}, failed {run.failed}"

    jobs = [
        Job("compact", compact, offset_ms=COMPACT_AT_HOUR * MS_PER_HOUR),
        Job("digests", digests, offset_ms=DIGESTS_AT_HOUR * MS_PER_HOUR),
    ]
    trainers: list[tuple[str, Any]] = [(name, getattr(svc, name, None)) for name in ("feed", "ads")]
    for name, service in trainers:
        if service is not None and callable(getattr(service, "train", None)):

            def train(_due_ms: int, service: Any = service) -> str:
                return f"trained: {service.train()!s:.200}"

            jobs.append(Job(f"train_{name}", train, offset_ms=TRAIN_AT_HOUR * MS_PER_HOUR))
    return jobs


def worker(
    once: Annotated[bool, typer.Option("--once", help="run what is due now, then exit")] = False,
    status: Annotated[bool, typer.Option("--status", help="show the schedule and exit")] = False,
    poll_seconds: Annotated[float, typer.Option(help="seconds between schedule checks")] = 30.0,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    jobs: Annotated[
        bool, typer.Option("--jobs", help="consume the studio job queue (job_queue_url) instead")
    ] = False,
    threads: Annotated[
        int, typer.Option(min=1, max=64, help="with --jobs: jobs run at once by this process")
    ] = 2,
) -> None:
    """Run periodic jobs: compaction 03:00, training 04:00, digests 08:00 (local).

    Example: laotie worker --once; LAOTIE_JOB_QUEUE_URL=redis://127.0.0.1:6379/0 laotie worker --jobs
    """
    svc = services()
    if jobs:
        _consume_jobs(svc, threads=threads)
        return
    scheduler = Scheduler(svc.db, svc.clock, build_jobs(svc), tz=svc.settings.timezone)
    if status:
        rows = scheduler.states()
        if as_json:
            emit_json(rows)
            return
        zone = ZoneInfo(svc.settings.timezone)
        view = Table(
            "job",
            "every (min)",
            "at (min past midnight)",
            "last status",
            "runs",
            "next due (local)",
        )
        for r in rows:
            r["next_due"] = to_datetime(cast(int, r["next_due_ms"]), zone).strftime(
                "%Y-%m-%d %H:%M"
            )
            view.add_row(
                *(
                    str(r[k])
                    for k in (
                        "name",
                        "every_minutes",
                        "offset_minutes",
                        "last_status",
                        "runs",
                        "next_due",
                    )
                )
            )
        console.print(view)
        return
    if once:
        results = scheduler.run_pending()
        if as_json:
            emit_json([r.__dict__ for r in results])
            return
        for result in results:
            console.print(f"{result.name}: {result.status} — {result.summary}")
        if not results:
            console.print("nothing due")
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    console.print(f"laotie worker: {', '.join(j.name for j in scheduler.jobs)} (Ctrl-C stops)")
    try:
        scheduler.run_forever(poll_s=poll_seconds, stop=stop)
    except KeyboardInterrupt:
        stop.set()


def _consume_jobs(svc: Services, *, threads: int) -> None:
    """Run studio jobs from the Redis queue until SIGTERM or Ctrl-C (running jobs finish)."""
    queue = svc.studio_jobs.dispatcher
    if not isinstance(queue, RedisJobQueue):
        console.print(
            "[red]laotie worker --jobs needs a job queue: set job_queue_url "
            "(LAOTIE_JOB_QUEUE_URL=redis://host:6379/0)[/red]"
        )
        raise typer.Exit(2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    svc.studio_jobs.serve()
    console.print(f"laotie worker: studio jobs from {queue.url}, {threads} at once (Ctrl-C stops)")
    try:
        queue.consume(threads=threads, stop=stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        svc.studio_jobs.shutdown(wait=True)
