"""Similar items and users: ``GET /v1/items/{id}/similar``, ``GET /v1/users/{id}/similar``.

An ``app`` or ``admin`` key; a person key (role ``app``, scope ``person:<user id>``) may ask
only about its own user."""

from __future__ import annotations

from functools import partial
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Path, Query

from laotie.api.deps import AppKey, ServicesDep, require_user
from laotie.core.catalog import EXTERNAL_ID
from laotie.feed.schemas import SimilarItems, SimilarUsers

router = APIRouter(prefix="/v1", tags=["feed"])


@router.get("/items/{item_id}/similar", response_model=SimilarItems)
async def get_similar_items(
    item_id: Annotated[str, Path(pattern=EXTERNAL_ID, description="item id")],
    services: ServicesDep,
    _: AppKey,
    n: Annotated[int, Query(description="items, 1..100")] = 20,
) -> SimilarItems:
    """Items like this one: trained item vectors; content, then category, for a cold item."""
    return await anyio.to_thread.run_sync(partial(services.feed.similar_items, item_id, n=n))


@router.get("/users/{user_id}/similar", response_model=SimilarUsers)
async def get_similar_users(
    user_id: Annotated[str, Path(pattern=EXTERNAL_ID, description="user id")],
    services: ServicesDep,
    principal: AppKey,
    n: Annotated[int, Query(description="users, 1..100")] = 20,
) -> SimilarUsers:
    """Users whose taste (trained user vectors) is closest to this one's."""
    require_user(principal, user_id)
    return await anyio.to_thread.run_sync(partial(services.feed.similar_users, user_id, n=n))
