"""The feed: ``GET /v1/feed/{user_id}?n=20&cursor=...&kind=...&explain=true``."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Query, Request

from laotie.api.deps import AppKey, ServicesDep, require_user
from laotie.core.catalog import EXTERNAL_ID
from laotie.feed import FeedEntry, FeedPage
from laotie.wiring import Services

router = APIRouter(prefix="/v1/feed", tags=["feed"])


@router.get("/{user_id}", response_model=FeedPage, response_model_exclude_none=True)
async def get_feed(
    request: Request,
    user_id: Annotated[str, Path(pattern=EXTERNAL_ID, description="user id")],
    services: ServicesDep,
    principal: AppKey,
    n: Annotated[int, Query(description="entries on the page, 1..100")] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    kind: Annotated[list[str] | None, Query(description="only these kinds (repeatable)")] = None,
    explain: Annotated[bool, Query(description="show sources, predictions, adjustments")] = False,
    preview: Annotated[
        bool,
        Query(description="inspect only: log no impressions, mark nothing seen, run no ad auction"),
    ] = False,
) -> FeedPage:
    """A page of the feed; impressions are logged server-side (unless ``preview``); unknown
    users get a cold start.

    A feed is CPU-bound Python: ``feed_concurrency`` of them run at once in this process (in
    worker threads, off the event loop); more threads would only take turns at the GIL.
    A person key reads only its own user's feed."""
    require_user(principal, user_id)
    compute = partial(
        services.feed.feed,
        user_id,
        n=n,
        cursor=cursor,
        kinds=kind,
        explain=explain,
        log=not preview,
    )
    page = await anyio.to_thread.run_sync(compute, limiter=_feed_limiter(request, services))
    episodes = [e.id for e in page.entries if isinstance(e, FeedEntry) and e.kind == "episode"]
    if episodes:  # paid micro-drama: a locked episode is served with its price
        prices = await anyio.to_thread.run_sync(
            services.commerce.content.locked_prices, user_id, episodes
        )
        for entry in page.entries:
            if isinstance(entry, FeedEntry) and entry.id in prices:
                entry.locked, entry.price_fen = True, prices[entry.id]
    return page


def _feed_limiter(request: Request, services: Services) -> anyio.CapacityLimiter:
    state = request.app.state
    limiter = getattr(state, "feed_limiter", None)
    if limiter is None:  # created on the event loop, where anyio needs it
        limiter = state.feed_limiter = anyio.CapacityLimiter(services.settings.feed_concurrency)
    return limiter
