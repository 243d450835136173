"""Feed preview: a user's next page as a phone would show it, with the explain data."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from laotie.api.routes import feed as feed_api
from laotie.web.console import ConsoleRoute, VisitDep
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
PREVIEW_ENTRIES = 20


@router.get("/feed")
async def feed_preview(visit: VisitDep, user: str | None = None) -> Response:
    """Pick or type a user; their page is a real feed request (it logs impressions)."""
    await visit.require(feed_api.get_feed)
    page = None
    if user:
        page = await call_api(
            feed_api.get_feed,
            visit.request,
            visit.principal,
            user_id=user,
            n=PREVIEW_ENTRIES,
            explain=True,
        )
    return await visit.render("feed.html", user=user or "", page=page)
