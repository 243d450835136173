"""Studio jobs on a real Redis queue: API-side submit, `laotie worker --jobs` processes run
them; progress, cancel and retry work across processes; a SIGKILLed worker's job is rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from laotie.cli.worker import build_jobs
from laotie.core.settings import load_settings
from laotie.insights.scheduler import Scheduler
from laotie.studio import JobView, LeasePolicy, RedisJobQueue
from laotie.studio.job_queue import QUEUE
from laotie.wiring import Services, build_services

WORKER = str(Path(__file__).with_name("_queue_worker.py"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def api(tmp_path: Path, redis_url: str) -> Iterator[Services]:
    """The API side: services whose studio jobs go to the (emptied) Redis queue."""
    svc = build_services(
        load_settings(home=tmp_path / "home", job_queue_url=redis_url, job_lease_s=1.0)
    )
    svc.studio_jobs.register("sleepy", lambda ctx: {})  # runs in the worker, not here
    yield svc
    svc.close()


class Workers:
    """Worker processes started on the test's home; all stopped at the end."""

    def __init__(self, home: Path, redis_url: str, runs: Path) -> None:
        self.home, self.runs = home, runs
        self.env = {
            **os.environ,
            "LAOTIE_JOB_QUEUE_URL": redis_url,
            "LAOTIE_JOB_LEASE_S": "1",
            "PYTHONPATH": str(ROOT),
        }
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *argv: str) -> subprocess.Popen[str]:
        """Start one worker (the test worker script unless ``argv`` is given) and wait for it."""
        command = list(argv) or [sys.executable, WORKER, str(self.home), str(self.runs)]
        proc = subprocess.Popen(
            command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.procs.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ready" in line or "laotie worker" in line, line
        return proc

    def stop(self) -> None:
        """SIGTERM every live worker and wait."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            proc.wait(timeout=30)


@pytest.fixture
def workers(tmp_path: Path, redis_url: str, api: Services) -> Iterator[Workers]:
    runs = tmp_path / "runs"
    runs.mkdir()
    pool = Workers(api.settings.home, redis_url, runs)
    yield pool
    pool.stop()


def _until(api: Services, job_id: str, done: object, timeout_s: float = 60) -> JobView:
    deadline = time.monotonic() + timeout_s
    while True:
        view = api.studio_jobs.get(job_id)
        if done(view):  # type: ignore[operator]
            return view
        assert time.monotonic() < deadline, f"job stuck: {view}"
        time.sleep(0.1)


def test_the_cli_worker_runs_studio_and_periodic_jobs_queued_elsewhere(
    api: Services, workers: Workers, small_novel_text: str
) -> None:
    job = api.studio_jobs.submit("adapt", {"novel_text": small_novel_text, "episodes": 6})
    assert isinstance(api.studio_jobs.dispatcher, RedisJobQueue)
    assert api.studio_jobs.dispatcher.depth() == 1  # queued on Redis, not run here
    assert api.studio_jobs.get(job.id).status == "queued"
    laotie = str(Path(sys.executable).with_name("laotie"))
    env_home = {"LAOTIE_HOME": str(api.settings.home)}
    workers.env.update(env_home)
    proc = workers.start(laotie, "worker", "--jobs", "--threads", "1")
    done = _until(api, job.id, lambda v: v.done, timeout_s=120)
    assert done.status == "succeeded", done.error
    assert done.result and done.result["review_passed"] is True
    schedule = Scheduler(api.db, api.clock, build_jobs(api), tz=api.settings.timezone)
    queued = {r.name: r.summary.removeprefix("queued as ") for r in schedule.run_pending()}
    assert set(queued) >= {"compact", "digests"}
    for name, job_id in queued.items():
        ran = _until(api, job_id, lambda v: v.done, timeout_s=120)
        assert (ran.kind, ran.status) == (f"periodic.{name}", "succeeded"), ran.error
        assert ran.result and ran.result["summary"]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0


def test_a_sigkilled_workers_job_is_run_again_by_another_worker(
    api: Services, workers: Workers
) -> None:
    first = workers.start()
    job = api.studio_jobs.submit("sleepy", {"steps": 25})
    _until(api, job.id, lambda v: v.status == "running" and v.progress > 0)
    first.kill()  # SIGKILL: no cleanup, the lease simply stops being renewed
    first.wait()
    workers.start()
    done = _until(api, job.id, lambda v: v.done)
    assert (done.status, done.attempts) == ("succeeded", 2)
    pids = {p.name.split(".")[1] for p in workers.runs.glob(f"{job.id}.*")}
    assert pids == {str(first.pid), str(done.result["pid"])} and len(pids) == 2


def test_cancel_and_retry_reach_the_worker_through_the_database(
    api: Services, workers: Workers
) -> None:
    workers.start()
    long = api.studio_jobs.submit("sleepy", {"steps": 200})
    _until(api, long.id, lambda v: v.status == "running" and v.progress > 0)
    api.studio_jobs.cancel(long.id)
    assert _until(api, long.id, lambda v: v.done).status == "cancelled"
    flaky = api.studio_jobs.submit("sleepy", {"steps": 2, "fail_first": True})
    failed = _until(api, flaky.id, lambda v: v.done)
    assert (failed.status, failed.error_code) == ("failed", "invalid-input")
    api.studio_jobs.retry(flaky.id)
    redone = _until(api, flaky.id, lambda v: v.done)
    assert (redone.status, redone.attempts) == ("succeeded", 2)


def test_a_job_whose_dispatch_was_lost_is_dispatched_again(
    api: Services, workers: Workers, redis_url: str
) -> None:
    api.studio_jobs.policy = LeasePolicy(lease_s=1.0, redispatch_s=1.0)
    job = api.studio_jobs.submit("sleepy", {"steps": 1})
    client = redis.Redis.from_url(redis_url)
    assert client.delete(f"laotie:{QUEUE}") == 1  # the broker lost the message
    workers.start()
    assert _until(api, job.id, lambda v: v.done).status == "succeeded"
