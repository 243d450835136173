"""Studio jobs over HTTP: submit, read, stream progress (SSE), cancel, retry.

Admins see every job; a creator or advertiser key sees and acts on its own jobs only (the
job's owner is ``<role>:<scope>``, whichever route created it). Every route that creates a
job goes through ``JobRunner.submit``, which checks the kind's roles and runs its one
validator (scope, ownership, file ids) before anything is queued. ``Idempotency-Key`` makes a
repeated submit by the same owner return the first job. Input files are uploaded first
(``POST /v1/studio/files``) and named by id; no parameter is a path on the server.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from laotie.api.deps import ServicesDep, require_role
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.studio import JobView, Submitter, studio_files

router = APIRouter(prefix="/v1/studio", tags=["studio"])
StudioKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR, Role.ADVERTISER))]
IdempotencyKey = Annotated[str | None, Header(max_length=128)]
#: how often the progress stream polls the job, seconds
STREAM_POLL_S = 0.5


class JobCreate(BaseModel):
    """A job to run: its kind (``adapt``, or a media kind) and the kind's params."""

    kind: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class StudioFilePublic(BaseModel):
    """An uploaded studio input file: name it by ``id`` in a job's params."""

    id: str
    name: str
    size_bytes: int
    sha256: str


def submitter(principal: Principal) -> Submitter:
    """The job submitter an API key acts as (never a local process)."""
    return Submitter(role=principal.role, scope=principal.scope)


def _owner(principal: Principal) -> str | None:
    return submitter(principal).owner


async def submit(
    services: ServicesDep, kind: str, params: dict[str, Any], principal: Principal, key: str | None
) -> JobView:
    """Queue a job of ``kind`` for ``principal``: the one path every job-creating route takes."""
    return await run_in_threadpool(
        services.studio_jobs.submit,
        kind,
        params,
        submitter=submitter(principal),
        idempotency_key=key,
    )


@router.post("/files", response_model=StudioFilePublic, status_code=201)
async def upload_file(
    request: Request,
    services: ServicesDep,
    principal: StudioKey,
    name: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^/\\]+$")] = "upload.bin",
) -> StudioFilePublic:
    """Upload an input file (the raw request body) for studio jobs; answers its id.

    Jobs name files by this id (``script_path``, ``images``, ``music``, ``avatar``,
    ``backgrounds``, ``brief.images``, ``novel_file``); only the uploader (or an admin) may
    use it. The body streams to disk through the ``studio_max_file_mb`` cap."""
    files = studio_files(services.settings)
    stored = await files.save(request.stream(), owner=_owner(principal), name=name)
    return StudioFilePublic(
        id=stored.id, name=stored.name, size_bytes=stored.size_bytes, sha256=stored.sha256
    )


@router.post("/jobs", response_model=JobView, status_code=202)
async def submit_job(
    body: JobCreate,
    services: ServicesDep,
    principal: StudioKey,
    idempotency_key: IdempotencyKey = None,
) -> JobView:
    """Queue a job; answers 202 with the job (poll it or stream its progress)."""
    return await submit(services, body.kind, body.params, principal, idempotency_key)


@router.get("/jobs", response_model=list[JobView])
async def list_jobs(
    services: ServicesDep,
    principal: StudioKey,
    status: Annotated[str | None, Query()] = None,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobView]:
    """Most recent jobs first, optionally of one status and one kind."""
    return await run_in_threadpool(
        services.studio_jobs.list, status=status, kind=kind, owner=_owner(principal), limit=limit
    )


@router.get("/jobs/{job_id}", response_model=JobView)
async def get_job(job_id: str, services: ServicesDep, principal: StudioKey) -> JobView:
    """A job's status, progress, result and error."""
    return await run_in_threadpool(services.studio_jobs.get, job_id, owner=_owner(principal))


@router.get("/jobs/{job_id}/events")
async def job_events(job_id: str, services: ServicesDep, principal: StudioKey) -> StreamingResponse:
    """Server-sent events: one ``progress`` event per change, then ``done``."""
    runner = services.studio_jobs
    owner = _owner(principal)
    await run_in_threadpool(runner.get, job_id, owner=owner)

    async def stream() -> AsyncIterator[str]:
        last = None
        while True:
            view = await run_in_threadpool(runner.get, job_id, owner=owner)
            key = (view.status, view.progress, view.message)
            if key != last:
                last = key
                event = "done" if view.done else "progress"
                data = json.dumps(view.model_dump(), ensure_ascii=False)
                yield f"event: {event}\ndata: {data}\n\n"
            if view.done:
                return
            await asyncio.sleep(STREAM_POLL_S)

    return StreamingResponse(stream(), media_type="text/event-stream")


@router.post("/jobs/{job_id}/cancel", response_model=JobView)
async def cancel_job(job_id: str, services: ServicesDep, principal: StudioKey) -> JobView:
    """Cancel a queued job, or ask a running one to stop."""
    return await run_in_threadpool(services.studio_jobs.cancel, job_id, owner=_owner(principal))


@router.post("/jobs/{job_id}/retry", response_model=JobView)
async def retry_job(job_id: str, services: ServicesDep, principal: StudioKey) -> JobView:
    """Queue a failed or cancelled job again."""
    return await run_in_threadpool(services.studio_jobs.retry, job_id, owner=_owner(principal))
