"""Users, creators, series/novels and items: CRUD with cursor pagination and filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from laotie.api.deps import (
    AdminKey,
    ReaderKey,
    ServicesDep,
    require_role,
    require_scope,
)
from laotie.core.catalog import (
    ContainerCreate,
    ContainerPublic,
    CreatorCreate,
    CreatorPublic,
    CreatorUpdate,
    ItemCreate,
    ItemPublic,
    ItemUpdate,
    Page,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from laotie.core.errors import PermissionDenied
from laotie.core.kinds import AigcStatus, ItemKind, ItemStatus, Role
from laotie.store.repos import catalog
from laotie.store.repos.access import Principal

router = APIRouter(prefix="/v1", tags=["catalog"])
#: creators write their own catalog; the role is checked before the body is validated
MakerKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.CREATOR))]
Limit = Annotated[int, Query(ge=1, le=catalog.MAX_PAGE, description="page size")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


@router.post("/users", status_code=201)
def create_user(body: UserCreate, services: ServicesDep, _: AdminKey) -> UserPublic:
    """Create a user."""
    with services.db.session() as session:
        return catalog.user_public(catalog.create_user(session, user=body))


@router.get("/users")
def list_users(
    services: ServicesDep,
    _: AdminKey,
    cursor: Cursor = None,
    limit: Limit = 50,
    segment: str | None = None,
) -> Page[UserPublic]:
    """List users, oldest first."""
    with services.db.session() as session:
        return catalog.list_users(session, cursor=cursor, limit=limit, segment=segment)


@router.get("/users/{user_id}")
def get_user(user_id: str, services: ServicesDep, _: AdminKey) -> UserPublic:
    """One user."""
    with services.db.session() as session:
        return catalog.user_public(catalog.get_user(session, external_id=user_id))


@router.patch("/users/{user_id}")
def update_user(user_id: str, body: UserUpdate, services: ServicesDep, _: AdminKey) -> UserPublic:
    """Change a user's fields."""
    with services.db.session() as session:
        return catalog.user_public(catalog.update_user(session, external_id=user_id, update=body))


@router.post("/creators", status_code=201)
def create_creator(body: CreatorCreate, services: ServicesDep, _: AdminKey) -> CreatorPublic:
    """Create a creator."""
    with services.db.session() as session:
        return catalog.creator_public(catalog.create_creator(session, creator=body))


@router.get("/creators")
def list_creators(
    services: ServicesDep, _: ReaderKey, cursor: Cursor = None, limit: Limit = 50
) -> Page[CreatorPublic]:
    """List creators, oldest first."""
    with services.db.session() as session:
        return catalog.list_creators(session, cursor=cursor, limit=limit)


@router.get("/creators/{creator_id}")
def get_creator(creator_id: str, services: ServicesDep, _: ReaderKey) -> CreatorPublic:
    """One creator."""
    with services.db.session() as session:
        return catalog.creator_public(catalog.get_creator(session, external_id=creator_id))


@router.patch("/creators/{creator_id}")
def update_creator(
    creator_id: str, body: CreatorUpdate, services: ServicesDep, principal: MakerKey
) -> CreatorPublic:
    """Change a creator's fields (the creator's own key, or admin)."""
    require_scope(principal, creator_id)
    with services.db.session() as session:
        row = catalog.update_creator(session, external_id=creator_id, update=body)
        return catalog.creator_public(row)


@router.post("/series", status_code=201)
def create_series(
    body: ContainerCreate, services: ServicesDep, principal: MakerKey
) -> ContainerPublic:
    """Create a micro-drama series (the creator's own key, or admin)."""
    require_scope(principal, body.creator_id)
    with services.db.session() as session:
        return catalog.container_public(session, catalog.create_series(session, series=body))


@router.post("/novels", status_code=201)
def create_novel(
    body: ContainerCreate, services: ServicesDep, principal: MakerKey
) -> ContainerPublic:
    """Create a novel (the creator's own key, or admin)."""
    require_scope(principal, body.creator_id)
    with services.db.session() as session:
        return catalog.container_public(session, catalog.create_novel(session, novel=body))


#: AIGC statuses from weakest to strongest claim; only trust or an admin lowers one
_AIGC_ORDER = [AigcStatus.NONE, AigcStatus.DECLARED, AigcStatus.SUSPECTED, AigcStatus.CONFIRMED]


@router.post("/items", status_code=201)
def create_item(body: ItemCreate, services: ServicesDep, principal: MakerKey) -> ItemPublic:
    """Create an item (the creator's own key, or admin), screened by trust through the catalog
    door before the feed may show it.

    A creator declares AIGC at most (its AIGC status and label are trust's to set) and never
    names a server path; an admin's fields are kept as given, then screened alike."""
    require_scope(principal, body.creator_id)
    if principal.role != Role.ADMIN:
        if body.aigc_status not in (AigcStatus.NONE, AigcStatus.DECLARED) or body.aigc_label:
            raise PermissionDenied(
                "a creator declares AIGC (aigc_status declared); trust sets the rest",
                field="aigc_status",
            )
        body = body.model_copy(update={"media_path": None})
    return services.catalog.add_item(body)


def _check_creator_update(current: ItemPublic, body: ItemUpdate) -> None:
    """A creator may raise its item's AIGC status to declared, never lower it or set labels."""
    changes = body.model_fields_set
    if "aigc_status" in changes and body.aigc_status is not None:
        wanted, now = _AIGC_ORDER.index(body.aigc_status), _AIGC_ORDER.index(current.aigc_status)
        if wanted < now or body.aigc_status not in (AigcStatus.NONE, AigcStatus.DECLARED):
            raise PermissionDenied(
                f"aigc_status {current.aigc_status} may be changed to {body.aigc_status} only "
                "by trust or an admin",
                field="aigc_status",
            )
    for name in ("aigc_label", "media_path"):
        if name in changes:
            raise PermissionDenied(f"{name} is set by the platform, not a creator", field=name)


@router.get("/items")
def list_items(
    services: ServicesDep,
    _: ReaderKey,
    cursor: Cursor = None,
    limit: Limit = 50,
    kind: ItemKind | None = None,
    creator_id: str | None = None,
    parent_id: str | None = None,
    status: ItemStatus | None = None,
    aigc_status: AigcStatus | None = None,
) -> Page[ItemPublic]:
    """List items, oldest first, filtered by kind, creator, parent, status or AIGC status."""
    with services.db.session() as session:
        return catalog.list_items(
            session,
            cursor=cursor,
            limit=limit,
            kind=kind,
            creator_id=creator_id,
            parent_id=parent_id,
            status=status,
            aigc_status=aigc_status,
        )


@router.get("/items/{item_id}")
def get_item(item_id: str, services: ServicesDep, _: ReaderKey) -> ItemPublic:
    """One item."""
    with services.db.session() as session:
        return catalog.item_public(session, catalog.get_item(session, external_id=item_id))


@router.patch("/items/{item_id}")
def update_item(
    item_id: str, body: ItemUpdate, services: ServicesDep, principal: MakerKey
) -> ItemPublic:
    """Change an item's fields (its creator's key, or admin)."""
    with services.db.session() as session:
        row = catalog.get_item(session, external_id=item_id)
        current = catalog.item_public(session, row)
        require_scope(principal, current.creator_id)
        if principal.role != Role.ADMIN:
            _check_creator_update(current, body)
        row = catalog.update_item(session, external_id=item_id, update=body)
        return catalog.item_public(session, row)


@router.delete("/items/{item_id}", status_code=204)
def delete_item(item_id: str, services: ServicesDep, principal: MakerKey) -> Response:
    """Remove an item from distribution (its creator's key, or admin)."""
    with services.db.session() as session:
        owner = catalog.item_public(
            session, catalog.get_item(session, external_id=item_id)
        ).creator_id
        require_scope(principal, owner)
        catalog.delete_item(session, external_id=item_id)
    return Response(status_code=204)
