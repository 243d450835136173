"""The feed: ``GET /v1/feed/{user_id}?n=20&cursor=...&kind=...&explain=true``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from laotie.api.deps import AppKey, ServicesDep
from laotie.feed import FeedPage

router = APIRouter(prefix="/v1/feed", tags=["feed"])


@router.get("/{user_id}", response_model=FeedPage, response_model_exclude_none=True)
def get_feed(
    user_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,128}$", description="user id")],
    services: ServicesDep,
    _: AppKey,
    n: Annotated[int, Query(description="entries on the page, 1..100")] = 20,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    kind: Annotated[list[str] | None, Query(description="only these kinds (repeatable)")] = None,
    explain: Annotated[bool, Query(description="show sources, predictions, adjustments")] = False,
) -> FeedPage:
    """A page of the feed; impressions are logged server-side; unknown users get a cold start."""
    return services.feed.feed(user_id, n=n, cursor=cursor, kinds=kind, explain=explain)
