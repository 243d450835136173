"""Studio repository: jobs. Keyword-only functions taking the session first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select, update
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
    dispatch_lease_until_ms: int | None = None,
) -> tuple[StudioJob, bool]:
    """Queue a job; returns ``(job, created)`` — an existing job for a repeated key.

    ``dispatch_lease_until_ms`` (wall clock) is when a job still queued counts as lost."""
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
        lease_until_ms=dispatch_lease_until_ms,
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


def claim_job(
    session: Session,
    *,
    job_id: str,
    now_ms: int,
    wall_now_ms: int,
    worker: str = "",
    lease_ms: int = 60_000,
) -> bool:
    """Take a job for ``worker`` (atomically): a queued one, or a running one whose lease
    lapsed because its worker died; False if it is not claimable (done, cancelled, or held
    by a live worker). Leases are wall clock (``wall_now_ms``); ``now_ms`` stamps the row."""
    lapsed = or_(StudioJob.lease_until_ms.is_(None), StudioJob.lease_until_ms < wall_now_ms)
    claimable = or_(StudioJob.status == "queued", and_(StudioJob.status == "running", lapsed))
    result = session.execute(
        update(StudioJob)
        .where(StudioJob.external_id == job_id, claimable)
        .values(
            status="running",
            started_at_ms=now_ms,
            updated_at_ms=now_ms,
            attempts=StudioJob.attempts + 1,
            lease_until_ms=wall_now_ms + lease_ms,
            worker=worker or None,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def renew_leases(
    session: Session, *, job_ids: list[str], worker: str, now_ms: int, lease_ms: int
) -> int:
    """Extend the leases ``worker`` holds on these running jobs; returns how many it holds."""
    if not job_ids:
        return 0
    result = session.execute(
        update(StudioJob)
        .where(
            StudioJob.external_id.in_(job_ids),
            StudioJob.status == "running",
            StudioJob.worker == worker,
        )
        .values(lease_until_ms=now_ms + lease_ms)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def requeue_orphans(
    session: Session, *, now_ms: int, redispatch_ms: int, max_attempts: int
) -> list[str]:
    """Recover jobs whose lease lapsed (wall-clock ``now_ms``): a running one whose worker
    died goes back to queued, or fails as ``worker-lost`` after ``max_attempts`` claims; a
    queued one was never picked up. Each recovered job gets a fresh dispatch lease of
    ``redispatch_ms``; returns their ids, oldest first, to dispatch again."""
    lapsed = or_(StudioJob.lease_until_ms.is_(None), StudioJob.lease_until_ms < now_ms)
    query = (
        select(StudioJob)
        .where(StudioJob.status.in_(("queued", "running")), lapsed)
        .order_by(StudioJob.id)
        .with_for_update(skip_locked=True)
    )
    recovered = []
    for job in session.scalars(query):
        if job.status == "running":
            lost = f"its worker {job.worker or '(unknown)'} stopped while it ran"
            if job.attempts >= max_attempts:
                job.status = "failed"
                job.error = f"{lost}, {job.attempts} times; not retried again"
                job.error_code = "worker-lost"
                job.finished_at_ms = job.updated_at_ms
                job.lease_until_ms = None
                continue
            job.status = "queued"
            job.message = f"requeued: {lost}"[:200]
            job.worker = None
        job.lease_until_ms = now_ms + redispatch_ms
        recovered.append(job.external_id)
    return recovered
