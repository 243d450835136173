"""Studio repository: jobs. Keyword-only functions taking the session first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from laotie.core.errors import Conflict, InvalidInput, NotFound
from laotie.core.ids import new_id
from laotie.store.tables.studio import StudioJob

JOB_STATUSES = ("queued", "running", "succeeded", "failed", "cancelled")
TERMINAL = ("succeeded", "failed", "cancelled")
MAX_PAGE = 200


def create_job(
    session: Session,
    *,
    kind: str,
    params: dict[str, Any],
    now_ms: int,
    owner: str | None = None,
    idempotency_key: str | None = None,
) -> tuple[StudioJob, bool]:
    """Queue a job; returns ``(job, created)`` — an existing job for a repeated key."""
    if idempotency_key:
        found = session.scalar(
            select(StudioJob).where(StudioJob.idempotency_key == idempotency_key)
        )
        if found is not None:
            if found.kind != kind or found.params != params:
                raise Conflict(
                    "idempotency key was used for a different job", field="Idempotency-Key"
                )
            return found, False
    job = StudioJob(
        external_id=new_id("job_", now_ms=now_ms),
        kind=kind,
        status="queued",
        params=params,
        progress=0.0,
        message="",
        attempts=0,
        cancel_requested=False,
        owner=owner,
        idempotency_key=idempotency_key or None,
        created_at_ms=now_ms,
        updated_at_ms=now_ms,
    )
    session.add(job)
    session.flush()
    return job, True


def get_job(session: Session, *, job_id: str) -> StudioJob:
    """The job with external id ``job_id``; NotFound otherwise."""
    job = session.scalar(select(StudioJob).where(StudioJob.external_id == job_id))
    if job is None:
        raise NotFound(f"job {job_id} does not exist", field="job_id")
    return job


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    owner: str | None = None,
    limit: int = 50,
) -> list[StudioJob]:
    """Most recent jobs first, filtered by status, kind and owner."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1..{MAX_PAGE}", field="limit", limit=MAX_PAGE)
    if status is not None and status not in JOB_STATUSES:
        raise InvalidInput(f"status must be one of {JOB_STATUSES}", field="status")
    query = select(StudioJob).order_by(StudioJob.id.desc()).limit(limit)
    if status:
        query = query.where(StudioJob.status == status)
    if kind:
        query = query.where(StudioJob.kind == kind)
    if owner:
        query = query.where(StudioJob.owner == owner)
    return list(session.scalars(query))


def update_job(session: Session, *, job_id: str, now_ms: int, **changes: Any) -> StudioJob:
    """Set columns of a job (status, progress, message, result, error...)."""
    job = get_job(session, job_id=job_id)
    if "status" in changes and changes["status"] not in JOB_STATUSES:
        raise InvalidInput(f"status must be one of {JOB_STATUSES}", field="status")
    for name, value in changes.items():
        setattr(job, name, value)
    job.updated_at_ms = now_ms
    return job


def claim_job(session: Session, *, job_id: str, now_ms: int) -> bool:
    """Move a queued job to running (atomically); False if it was not queued any more."""
    result = session.execute(
        update(StudioJob)
        .where(StudioJob.external_id == job_id, StudioJob.status == "queued")
        .values(
            status="running",
            started_at_ms=now_ms,
            updated_at_ms=now_ms,
            attempts=StudioJob.attempts + 1,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail_interrupted(session: Session, *, now_ms: int) -> list[str]:
    """Mark jobs left ``running`` by a dead process as failed; returns the queued job ids."""
    for job in session.scalars(select(StudioJob).where(StudioJob.status == "running")):
        job.status = "failed"
        job.error = "interrupted: the worker process stopped while the job ran"
        job.error_code = "interrupted"
        job.finished_at_ms = now_ms
        job.updated_at_ms = now_ms
    queued = select(StudioJob.external_id).where(StudioJob.status == "queued")
    return list(session.scalars(queued.order_by(StudioJob.id)))
