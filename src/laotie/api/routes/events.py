"""Event ingest: ``POST /v1/events`` with at most 10,000 events or 8 MB a batch."""

from __future__ import annotations

from typing import Any

import pydantic_core
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from laotie.api.deps import AppKey, ServicesDep
from laotie.core.errors import InvalidInput
from laotie.store.eventlog import EventError

router = APIRouter(prefix="/v1", tags=["events"])


class IngestResponse(BaseModel):
    """Counts of the batch and one error per rejected event."""

    accepted: int
    duplicate: int
    rejected: int
    errors: list[dict[str, Any]]


def _parse(body: bytes) -> list[Any]:
    try:
        # pydantic_core's parser is the fastest at hand; it also rejects invalid UTF-8
        payload = pydantic_core.from_json(body)
    except ValueError as exc:
        raise InvalidInput(f"body is not valid JSON: {exc}", field="body") from exc
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        return payload["events"]
    if isinstance(payload, list):
        return payload
    raise InvalidInput('body must be a JSON array of events or {"events": [...]}', field="body")


@router.post("/events", response_model=IngestResponse)
async def ingest(request: Request, services: ServicesDep, _: AppKey) -> IngestResponse:
    """Validate and store a batch; every accepted event is committed before this answers."""
    limit = services.settings.max_batch_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise InvalidInput(f"a batch is at most {limit} bytes", field="body", limit=limit)
    body = await request.body()
    if len(body) > limit:
        raise InvalidInput(f"a batch is at most {limit} bytes", field="body", limit=limit)
    # parsing a full batch takes milliseconds: do it off the event loop, like the ingest;
    # a well-formed array is parsed and validated in one pass, anything else event by event
    result = await run_in_threadpool(
        lambda: services.events.ingest_json(body) or services.events.ingest(_parse(body))
    )
    return IngestResponse(
        accepted=result.accepted,
        duplicate=result.duplicate,
        rejected=result.rejected,
        errors=[_error(e) for e in result.errors],
    )


def _error(error: EventError) -> dict[str, Any]:
    return {"index": error.index, "id": error.id, "field": error.field, "message": error.message}
