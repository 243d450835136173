"""Trust review queue: evidence highlighted, one key per decision."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form
from fastapi.responses import Response

from laotie.api.routes import catalog as catalog_api
from laotie.api.routes import trust as trust_api
from laotie.core.contracts import TrustDecision
from laotie.web.console import ConsoleRoute, VisitDep
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
QUEUE_PAGE = 20
#: the decisions a reviewer takes from the queue (``review`` would only re-queue)
DECISIONS = (TrustDecision.ALLOW, TrustDecision.DEMOTE, TrustDecision.BLOCK)


async def _queue(visit: VisitDep) -> list[dict[str, Any]]:
    page = await call_api(trust_api.queue, visit.request, visit.principal, limit=QUEUE_PAGE)
    entries = page["items"]
    for entry in entries:
        item = await call_api(
            catalog_api.get_item, visit.request, visit.principal, item_id=entry["item_id"]
        )
        entry["text"] = f"{item.title}\n{item.caption}".strip()
    return entries


async def _render(visit: VisitDep, *, decided: str | None = None) -> Response:
    template = "trust_queue.html" if visit.request.headers.get("hx-request") else "trust.html"
    return await visit.render(
        template, entries=await _queue(visit), decisions=DECISIONS, decided=decided
    )


@router.get("/trust")
async def trust_page(visit: VisitDep) -> Response:
    """The pending review queue, oldest first."""
    await visit.require(trust_api.queue)
    return await _render(visit)


@router.post("/trust/items/{item_id}/decision")
async def decide(
    visit: VisitDep,
    item_id: str,
    decision: Annotated[TrustDecision, Form()],
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Record a reviewer's decision through the API's decide endpoint; answer the new queue."""
    body = trust_api.ReviewDecision(decision=decision, note=note or None)
    await call_api(trust_api.decide, visit.request, visit.principal, item_id=item_id, body=body)
    return await _render(visit, decided=item_id)
