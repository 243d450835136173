"""Catalog: items with filters, an item's page (trust and AIGC status) and upload."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import RedirectResponse, Response

from laotie.api.routes import catalog as catalog_api
from laotie.api.routes import insights as insights_api
from laotie.api.routes import trust as trust_api
from laotie.core.ids import new_id
from laotie.core.kinds import AigcStatus, ItemKind, ItemStatus, Role
from laotie.web.console import ConsoleRoute, VisitDep
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
PAGE_SIZE = 50


def _choice(
    raw: str | None, allowed: type[ItemKind] | type[ItemStatus] | type[AigcStatus]
) -> str | None:
    return raw if raw in {m.value for m in allowed} else None


@router.get("/catalog")
async def catalog_list(
    visit: VisitDep,
    kind: str | None = None,
    status: str | None = None,
    aigc: str | None = None,
    creator: str | None = None,
    cursor: str | None = None,
) -> Response:
    """Items, oldest first, filtered like ``GET /v1/items``."""
    filters = {
        "kind": _choice(kind, ItemKind),
        "status": _choice(status, ItemStatus),
        "aigc_status": _choice(aigc, AigcStatus),
        "creator_id": creator or None,
    }
    page = await call_api(
        catalog_api.list_items,
        visit.request,
        visit.principal,
        cursor=cursor,
        limit=PAGE_SIZE,
        parent_id=None,
        **filters,
    )
    return await visit.render(
        "catalog.html",
        page=page,
        filters={
            "kind": kind or "",
            "status": status or "",
            "aigc": aigc or "",
            "creator": creator or "",
        },
        kinds=[k.value for k in ItemKind],
        statuses=[s.value for s in ItemStatus],
        aigc_statuses=[a.value for a in AigcStatus],
        can_upload=await visit.allowed(trust_api.upload),
        default_creator=visit.principal.scope if visit.principal.role == Role.CREATOR else "",
    )


@router.get("/catalog/items/{item_id}")
async def item_page(visit: VisitDep, item_id: str) -> Response:
    """One item with its last 30 days' engagement and its trust record (for roles that may
    read it)."""
    item = await call_api(catalog_api.get_item, visit.request, visit.principal, item_id=item_id)
    stats = await call_api(insights_api.item_stats, visit.request, visit.principal, item_id=item_id)
    record = None
    if await visit.allowed(trust_api.record):
        record = await call_api(trust_api.record, visit.request, visit.principal, item_id=item_id)
    return await visit.render("item.html", item=item, record=record, stats=stats)


@router.post("/catalog/upload")
async def upload(
    visit: VisitDep,
    title: Annotated[str, Form()],
    creator_id: Annotated[str, Form()],
    kind: Annotated[str, Form()] = "video",
    caption: Annotated[str, Form()] = "",
    declared_aigc: Annotated[bool, Form()] = False,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Upload through the API's upload endpoint (labels verified, checks run)."""
    item = {
        "id": new_id("up_"),
        "kind": kind,
        "creator_id": creator_id,
        "title": title,
        "caption": caption,
    }
    result = await call_api(
        trust_api.upload,
        visit.request,
        visit.principal,
        item=json.dumps(item, ensure_ascii=False),
        file=file,
        declared_aigc=declared_aigc,
    )
    return RedirectResponse(f"/catalog/items/{result['item']['id']}", status_code=303)
