"""Studio jobs over HTTP: submit, read, stream progress (SSE), cancel, retry.

Admins see every job; a creator key sees and acts on its own jobs only (its scope is the
job's owner). ``Idempotency-Key`` makes a repeated submit return the first job.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from laotie.api.deps import ServicesDep, require_role
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.studio import JobView

router = APIRouter(prefix="/v1/studio", tags=["studio"])
StudioKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR))]
#: how often the progress stream polls the job, seconds
STREAM_POLL_S = 0.5


class JobCreate(BaseModel):
    """A job to run: its kind (``adapt``, or a media kind) and the kind's params."""

    kind: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


def job_owner(principal: Principal) -> str:
    """The owner a job is recorded under: the key's scope (its creator), else the key."""
    return principal.scope or principal.key_id


def _owner(principal: Principal) -> str | None:
    """The owner whose jobs a key may see (admins: every job)."""
    return None if principal.role == Role.ADMIN else job_owner(principal)


@router.post("/jobs", response_model=JobView, status_code=202)
async def submit_job(
    body: JobCreate,
    services: ServicesDep,
    principal: StudioKey,
    idempotency_key: Annotated[str | None, Header(max_length=128)] = None,
) -> JobView:
    """Queue a job; answers 202 with the job (poll it or stream its progress)."""
    params = dict(body.params)
    if body.kind == "adapt":
        # over HTTP a novel comes inline, never as a path on the server, and lands in the home
        params.pop("novel_path", None)
        params.pop("out_dir", None)
    return await run_in_threadpool(
        services.studio_jobs.submit,
        body.kind,
        params,
        owner=_owner(principal),
        idempotency_key=idempotency_key,
    )


@router.get("/jobs", response_model=list[JobView])
async def list_jobs(
    services: ServicesDep,
    principal: StudioKey,
    status: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobView]:
    """Most recent jobs first."""
    return await run_in_threadpool(
        services.studio_jobs.list, status=status, owner=_owner(principal), limit=limit
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
