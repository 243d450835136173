"""``laotie worker``: periodic jobs (lake compaction, nightly training, digests) on a
persisted schedule, missed runs after downtime caught up once; with ``--jobs``, a consumer of
the studio job queue instead."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Annotated, Any, cast
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.core.clock import MS_PER_HOUR, day_start_ms, to_datetime
from laotie.core.errors import LaotieError
from laotie.insights import day_of_ms
from laotie.insights.scheduler import Job, Scheduler
from laotie.sim.ab_job import register_ab_job
from laotie.studio import JobContext, RedisJobQueue
from laotie.wiring import Services

#: local time of day (hours) at which each daily job is due
COMPACT_AT_HOUR = 3
TRAIN_AT_HOUR = 4
DIGESTS_AT_HOUR = 8


#: the job kinds periodic tasks run as, so they travel on the same queue as studio jobs
PERIODIC_KIND = "periodic."
#: how long ``laotie worker`` waits for a periodic task run on its own threads (seconds)
PERIODIC_WAIT_S = 6 * 3600.0


def periodic_tasks(svc: Services) -> dict[str, tuple[Callable[[int], str], int]]:
    """Each periodic task by name: ``run(due_ms) -> summary`` and its offset past midnight."""

    def compact(due_ms: int) -> str:
        report = svc.lake.compact(before_ms=day_start_ms(due_ms, "UTC"))
        return f"compacted {report.rows} events into {report.parts} parts"

    def digests(due_ms: int) -> str:
        day = day_of_ms(due_ms, tz=svc.settings.timezone) - timedelta(days=1)
        run = svc.insights.programme.digests.send_digests(day=day)
        return f"{run.day}: sent {run.sent}, skipped {run.skipped}, failed {run.failed}"

    tasks: dict[str, tuple[Callable[[int], str], int]] = {
        "compact": (compact, COMPACT_AT_HOUR * MS_PER_HOUR),
        "digests": (digests, DIGESTS_AT_HOUR * MS_PER_HOUR),
    }
    ads = getattr(svc, "ads", None)
    trainers: list[tuple[str, Any]] = [
        ("feed", getattr(svc, "feed", None)),
        ("ads", None if ads is None else ads.models),
    ]
    for name, service in trainers:
        if service is not None and callable(getattr(service, "train", None)):

            def train(_due_ms: int, service: Any = service) -> str:
                return f"trained: {service.train()!s:.200}"

            tasks[f"train_{name}"] = (train, TRAIN_AT_HOUR * MS_PER_HOUR)
    return tasks


def register_periodic_kinds(svc: Services) -> dict[str, tuple[Callable[[int], str], int]]:
    """Register each periodic task as a job kind only local processes may submit."""
    tasks = periodic_tasks(svc)
    for name, (run, _offset) in tasks.items():

        def handler(ctx: JobContext, run: Callable[[int], str] = run) -> dict[str, str]:
            return {"summary": run(int(ctx.params["due_ms"]))}

        svc.studio_jobs.register(PERIODIC_KIND + name, handler)
    return tasks


def build_jobs(svc: Services) -> list[Job]:
    """The schedule: each due task is queued as a job (once per due time, however many
    schedulers run); run on this process's threads it is awaited for its summary."""

    def queue(name: str, due_ms: int) -> str:
        runner = svc.studio_jobs
        job = runner.submit(
            PERIODIC_KIND + name, {"due_ms": due_ms}, idempotency_key=f"{name}@{due_ms}"
        )
        if not runner.dispatcher.local:
            return f"queued as {job.id}"
        done = runner.wait(job.id, timeout_s=PERIODIC_WAIT_S)
        if done.status != "succeeded":
            raise LaotieError(f"{job.id} {done.status}: {done.error or done.message}", job=job.id)
        return str((done.result or {}).get("summary", ""))

    return [
        Job(name, partial(queue, name), offset_ms=offset)
        for name, (_run, offset) in register_periodic_kinds(svc).items()
    ]


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

    Example: laotie worker --once; with LAOTIE_JOB_QUEUE_URL set, laotie worker --jobs
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
    register_periodic_kinds(svc)
    register_ab_job(svc.studio_jobs, svc.settings.home)
    svc.studio_jobs.serve()
    console.print(f"laotie worker: studio jobs from {queue.url}, {threads} at once (Ctrl-C stops)")
    try:
        queue.consume(threads=threads, stop=stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        svc.studio_jobs.shutdown(wait=True)
