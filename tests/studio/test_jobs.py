"""Studio jobs: persisted status and progress, cancel, retry, idempotency, restart recovery."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from laotie.core.errors import Conflict, InvalidInput
from laotie.core.settings import load_settings
from laotie.store.db import Database
from laotie.store.repos import studio as repo
from laotie.studio.jobs import JobContext, JobRunner
from laotie.studio.writer.export import load_adaptation
from laotie.studio.writer.job import register_writer_jobs


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'laotie.db'}")
    database.migrate()
    return database


@pytest.fixture
def runner(db: Database):  # type: ignore[no-untyped-def]
    jobs = JobRunner(db, workers=2)
    yield jobs
    jobs.shutdown(wait=True)


def test_migration_creates_the_jobs_table(db: Database) -> None:
    assert "studio_jobs" in db.table_names()


def test_a_job_runs_and_persists_progress_and_result(runner: JobRunner) -> None:
    def count(ctx: JobContext) -> dict[str, Any]:
        for i in range(3):
            ctx.progress(i / 3, f"step {i}")
        return {"total": ctx.params["n"] * 2}

    runner.register("count", count)
    job = runner.submit("count", {"n": 21})
    done = runner.wait(job.id, timeout_s=10)
    assert done.status == "succeeded" and done.result == {"total": 42}
    assert done.progress == 1.0 and done.attempts == 1 and done.finished_at_ms


def test_failure_is_recorded_and_retry_succeeds(runner: JobRunner) -> None:
    calls = []

    def flaky(ctx: JobContext) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            raise InvalidInput("first time fails", field="x")
        return {"ok": True}

    runner.register("flaky", flaky)
    job = runner.wait(runner.submit("flaky", {}).id, timeout_s=10)
    assert job.status == "failed" and job.error == "first time fails"
    assert job.error_code == "invalid-input"
    runner.retry(job.id)
    again = runner.wait(job.id, timeout_s=10)
    assert again.status == "succeeded" and again.attempts == 2
    with pytest.raises(Conflict):
        runner.retry(job.id)


def test_cancel_stops_a_running_job(runner: JobRunner) -> None:
    started = threading.Event()

    def slow(ctx: JobContext) -> dict[str, Any]:
        started.set()
        for i in range(400):
            ctx.progress(i / 400, f"step {i}")
            threading.Event().wait(0.01)
        return {}

    runner.register("slow", slow)
    job = runner.submit("slow", {})
    assert started.wait(10)
    runner.cancel(job.id)
    done = runner.wait(job.id, timeout_s=10)
    assert done.status == "cancelled" and done.progress < 1.0


def test_cancel_queued_job_and_idempotency(db: Database) -> None:
    jobs = JobRunner(db, workers=1)
    gate = threading.Event()
    jobs.register("block", lambda ctx: (gate.wait(10), {})[1])
    first = jobs.submit("block", {})
    second = jobs.submit("block", {"x": 1}, idempotency_key="k1")
    assert jobs.submit("block", {"x": 1}, idempotency_key="k1").id == second.id
    with pytest.raises(Conflict):
        jobs.submit("block", {"x": 2}, idempotency_key="k1")
    assert jobs.cancel(second.id).status in ("queued", "cancelled")
    gate.set()
    assert jobs.wait(first.id, timeout_s=10).status == "succeeded"
    jobs.shutdown(wait=True)
    assert jobs.get(second.id).status == "cancelled"


def test_unknown_kind_and_bad_params_are_invalid_input(runner: JobRunner, tmp_path: Path) -> None:
    register_writer_jobs(runner, load_settings(home=tmp_path))
    with pytest.raises(InvalidInput):
        runner.submit("nope", {})
    with pytest.raises(InvalidInput) as info:
        runner.submit("adapt", {"novel_text": "x", "episodes": 0})
    assert info.value.field == "episodes"


def test_restart_requeues_a_dead_workers_job_and_resumes_queued(db: Database) -> None:
    with db.session() as session:
        running, _ = repo.create_job(session, kind="count", params={}, now_ms=1)
        running.status, running.attempts, running.worker = "running", 1, "gone:1"
        running.lease_until_ms = 1  # its worker stopped renewing long ago
        spent, _ = repo.create_job(session, kind="count", params={}, now_ms=2)
        spent.status, spent.attempts, spent.lease_until_ms = "running", 3, 1
        queued, _ = repo.create_job(session, kind="count", params={}, now_ms=3)
        running_id, spent_id, queued_id = running.external_id, spent.external_id, queued.external_id
    jobs = JobRunner(db, workers=1)
    jobs.register("count", lambda ctx: {"ok": 1})
    jobs.register("other", lambda ctx: {})
    jobs.submit("other", {})
    assert jobs.wait(queued_id, timeout_s=10).status == "succeeded"
    resumed = jobs.wait(running_id, timeout_s=10)
    assert (resumed.status, resumed.attempts) == ("succeeded", 2)
    lost = jobs.get(spent_id)
    assert (lost.status, lost.error_code) == ("failed", "worker-lost")
    jobs.shutdown(wait=True)


def test_a_job_held_by_a_live_worker_is_not_claimed_twice(db: Database) -> None:
    with db.session() as session:
        job, _ = repo.create_job(session, kind="count", params={}, now_ms=1)
        job_id = job.external_id
    with db.session() as session:
        assert repo.claim_job(session, job_id=job_id, now_ms=5, wall_now_ms=1_000, lease_ms=500)
    with db.session() as session:
        assert not repo.claim_job(session, job_id=job_id, now_ms=6, wall_now_ms=1_400)
    with db.session() as session:
        assert repo.claim_job(session, job_id=job_id, now_ms=7, wall_now_ms=1_600)
        assert repo.get_job(session, job_id=job_id).attempts == 2


def test_adapt_job_exports_files(runner: JobRunner, tmp_path: Path, small_novel_text: str) -> None:
    register_writer_jobs(runner, load_settings(home=tmp_path))
    job = runner.submit("adapt", {"novel_text": small_novel_text, "episodes": 10})
    seen = list(runner.watch(job.id, poll_s=0.05, timeout_s=60))
    done = seen[-1]
    assert done.status == "succeeded", done.error
    assert done.result and done.result["review_passed"] is True
    assert len({v.progress for v in seen}) >= 2
    adaptation = load_adaptation(Path(done.result["out_dir"]))
    assert len(adaptation.scripts) == 10
