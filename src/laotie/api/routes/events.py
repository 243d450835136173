"""Event ingest: ``POST /v1/events`` with at most 10,000 events or 8 MB a batch.

An app key is a trusted server key: it sends events for any user. A person key (role app,
scope ``person:<user id>``) sends only its own user's events; the others are rejected one by
one (``field: user_id``). The body was authenticated and capped before it was read
(``api.guard``)."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pydantic_core
from fastapi import APIRouter, Request
from pydantic import BaseModel

from laotie.api.deps import AppKey, ServicesDep, person_of
from laotie.core.errors import InvalidInput
from laotie.store.eventlog import IngestResult
from laotie.store.eventschema import EventError

router = APIRouter(prefix="/v1", tags=["events"])
#: bodies up to this size are parsed without waiting for a large one (bytes)
SMALL_BODY_BYTES = 256 * 1024


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
async def ingest(request: Request, services: ServicesDep, principal: AppKey) -> IngestResponse:
    """Validate and store a batch; every accepted event is committed before this answers."""
    # read into one growing buffer (no list of chunks joined at the end: half the peak);
    # the guard has already refused a body past max_batch_bytes as it streamed in
    buffer = bytearray()
    async for chunk in request.stream():
        buffer += chunk
    body = bytes(buffer)
    del buffer
    user = person_of(principal)
    events = services.events

    def run() -> IngestResult:
        return events.ingest_json(body, user_id=user) or events.ingest(_parse(body), user_id=user)

    # parsing a full batch takes milliseconds: do it off the event loop, like the ingest;
    # a well-formed array is parsed and validated in one pass, anything else event by event.
    # Large bodies are parsed one at a time (their parse can take tens of MB however they are
    # shaped); small ones, most of the traffic, do not wait behind them.
    limiter = _large_body_limiter(request) if len(body) > SMALL_BODY_BYTES else None
    result = await anyio.to_thread.run_sync(run, limiter=limiter)
    return IngestResponse(
        accepted=result.accepted,
        duplicate=result.duplicate,
        rejected=result.rejected,
        errors=[_error(e) for e in result.errors],
    )


def _large_body_limiter(request: Request) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter = getattr(state, "large_ingest_limiter", None)
    if limiter is None:  # created on the event loop, where anyio needs it
        limiter = state.large_ingest_limiter = anyio.CapacityLimiter(1)
    return limiter


def _error(error: EventError) -> dict[str, Any]:
    return {"index": error.index, "id": error.id, "field": error.field, "message": error.message}
