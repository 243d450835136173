"""Feed preview: a user's next page as a phone would show it, with the explain data."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from laotie.api.routes import feed as feed_api
from laotie.api.routes import similar as similar_api
from laotie.web.console import ConsoleRoute, VisitDep
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
PREVIEW_ENTRIES = 20
#: items shown as "similar to the page's first item"
SIMILAR_SHOWN = 6


@router.get("/feed")
async def feed_preview(visit: VisitDep, user: str | None = None) -> Response:
    """Pick or type a user; their page as the feed would serve it, as a preview (nothing logged,
    nothing marked seen)."""
    await visit.require(feed_api.get_feed)
    page = similar = None
    if user:
        page = await call_api(
            feed_api.get_feed,
            visit.request,
            visit.principal,
            user_id=user,
            n=PREVIEW_ENTRIES,
            explain=True,
            preview=True,
        )
        first = next((e for e in page.entries if getattr(e, "type", "") != "ad"), None)
        if first is not None:
            similar = await call_api(
                similar_api.get_similar_items,
                visit.request,
                visit.principal,
                item_id=first.id,
                n=SIMILAR_SHOWN,
            )
    return await visit.render("feed.html", user=user or "", page=page, similar=similar)
