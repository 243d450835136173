"""Catalog repository: users, creators, series, novels, items and follows.

Every function takes the session first and keyword-only arguments after it. Rows carry dense
integer ``id``s (the models' indices); the API speaks ``external_id`` strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

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
from laotie.core.clock import now_ms
from laotie.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from laotie.core.kinds import ItemKind
from laotie.store.db import insert_ignoring_duplicates
from laotie.store.repos._bulk import ids_by_external_id, insert_many
from laotie.store.repos._pagination import decode_cursor, page_of
from laotie.store.tables import Creator, Follow, Item, Novel, Series, User

MAX_PAGE = 500


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            f"limit must be 1..{MAX_PAGE}, got {limit}", field="limit", limit=MAX_PAGE
        )
    return limit


# --- users -----------------------------------------------------------------------------------


def create_user(session: Session, *, user: UserCreate, created_at_ms: int | None = None) -> User:
    """Insert a user; Conflict if the id exists."""
    if session.scalar(select(User.id).where(User.external_id == user.id)) is not None:
        raise Conflict(f"user {user.id!r} already exists", field="id")
    row = User(
        external_id=user.id,
        region=user.region,
        segment=user.segment,
        attrs=user.attrs,
        created_at_ms=created_at_ms if created_at_ms is not None else now_ms(),
    )
    session.add(row)
    session.flush()
    return row


def get_user(session: Session, *, external_id: str) -> User:
    """The user with this external id; NotFound otherwise."""
    row = session.scalar(select(User).where(User.external_id == external_id))
    if row is None:
        raise NotFound(f"user {external_id!r} not found", field="user_id")
    return row


def update_user(session: Session, *, external_id: str, update: UserUpdate) -> User:
    """Apply the set fields of ``update`` to a user."""
    row = get_user(session, external_id=external_id)
    for key, value in update.model_dump(exclude_unset=True).items():
        setattr(row, key, value)
    session.flush()
    return row


def user_ids(session: Session, *, external_ids: Iterable[str]) -> dict[str, int]:
    """Internal ids of the users that exist among ``external_ids``."""
    return ids_by_external_id(session, User, list(external_ids))


def ensure_users(
    session: Session, *, external_ids: Iterable[str], created_at_ms: int | None = None
) -> dict[str, int]:
    """Internal ids for ``external_ids``, creating the users not seen before."""
    wanted = set(external_ids)
    found = user_ids(session, external_ids=wanted)
    missing = sorted(wanted - found.keys())
    if missing:
        stamp = created_at_ms if created_at_ms is not None else now_ms()
        # another process may create the same user meanwhile: skip it, then read its id
        session.execute(
            insert_ignoring_duplicates(User, dialect=session.get_bind().dialect.name),
            [{"external_id": ext, "attrs": {}, "created_at_ms": stamp} for ext in missing],
        )
        found.update(user_ids(session, external_ids=missing))
    return found


def list_users(
    session: Session, *, cursor: str | None = None, limit: int = 50, segment: str | None = None
) -> Page[UserPublic]:
    """Users ordered by creation, one page at a time."""
    query = select(User).where(User.id > decode_cursor(cursor)).order_by(User.id)
    if segment is not None:
        query = query.where(User.segment == segment)
    rows = list(session.scalars(query.limit(_limit(limit) + 1)))
    return page_of(rows, limit, user_public)


def user_public(row: User) -> UserPublic:
    """The API view of a user row."""
    return UserPublic(
        id=row.external_id,
        region=row.region,
        segment=row.segment,
        attrs=row.attrs or {},
        created_at_ms=row.created_at_ms,
    )


# --- creators --------------------------------------------------------------------------------


def create_creator(
    session: Session, *, creator: CreatorCreate, created_at_ms: int | None = None
) -> Creator:
    """Insert a creator; Conflict if the id exists."""
    if session.scalar(select(Creator.id).where(Creator.external_id == creator.id)) is not None:
        raise Conflict(f"creator {creator.id!r} already exists", field="id")
    row = Creator(
        external_id=creator.id,
        name=creator.name,
        attrs=creator.attrs,
        created_at_ms=created_at_ms if created_at_ms is not None else now_ms(),
    )
    session.add(row)
    session.flush()
    return row


def bulk_create_creators(
    session: Session, *, creators: Sequence[CreatorCreate], created_at_ms: int | None = None
) -> dict[str, int]:
    """Insert many creators in one statement; returns external id -> internal id."""
    stamp = created_at_ms if created_at_ms is not None else now_ms()
    insert_many(
        session,
        Creator,
        [
            {"external_id": c.id, "name": c.name, "attrs": c.attrs, "created_at_ms": stamp}
            for c in creators
        ],
    )
    return ids_by_external_id(session, Creator, [c.id for c in creators])


def get_creator(session: Session, *, external_id: str) -> Creator:
    """The creator with this external id; NotFound otherwise."""
    row = session.scalar(select(Creator).where(Creator.external_id == external_id))
    if row is None:
        raise NotFound(f"creator {external_id!r} not found", field="creator_id")
    return row


def update_creator(session: Session, *, external_id: str, update: CreatorUpdate) -> Creator:
    """Apply the set fields of ``update`` to a creator."""
    row = get_creator(session, external_id=external_id)
    for key, value in update.model_dump(exclude_unset=True).items():
        setattr(row, key, value)
    session.flush()
    return row


def list_creators(
    session: Session, *, cursor: str | None = None, limit: int = 50
) -> Page[CreatorPublic]:
    """Creators ordered by creation, one page at a time."""
    query = select(Creator).where(Creator.id > decode_cursor(cursor)).order_by(Creator.id)
    rows = list(session.scalars(query.limit(_limit(limit) + 1)))
    return page_of(rows, limit, creator_public)


def creator_public(row: Creator) -> CreatorPublic:
    """The API view of a creator row."""
    return CreatorPublic(
        id=row.external_id, name=row.name, attrs=row.attrs or {}, created_at_ms=row.created_at_ms
    )


# --- series and novels -----------------------------------------------------------------------


def _create_container(
    session: Session, table: type[Series] | type[Novel], data: ContainerCreate, stamp: int | None
) -> Series | Novel:
    if session.scalar(select(table.id).where(table.external_id == data.id)) is not None:
        raise Conflict(f"{table.__tablename__} {data.id!r} already exists", field="id")
    creator = get_creator(session, external_id=data.creator_id)
    row = table(
        external_id=data.id,
        creator_id=creator.id,
        title=data.title,
        description=data.description,
        category=data.category,
        created_at_ms=stamp if stamp is not None else now_ms(),
    )
    session.add(row)
    session.flush()
    return row


def create_series(
    session: Session, *, series: ContainerCreate, created_at_ms: int | None = None
) -> Series:
    """Insert a micro-drama series owned by an existing creator."""
    row = _create_container(session, Series, series, created_at_ms)
    assert isinstance(row, Series)
    return row


def create_novel(
    session: Session, *, novel: ContainerCreate, created_at_ms: int | None = None
) -> Novel:
    """Insert a novel owned by an existing creator."""
    row = _create_container(session, Novel, novel, created_at_ms)
    assert isinstance(row, Novel)
    return row


def bulk_create_containers(
    session: Session,
    *,
    kind: ItemKind,
    containers: Sequence[ContainerCreate],
    created_at_ms: int | None = None,
) -> dict[str, int]:
    """Insert many series (kind episode) or novels (kind chapter); returns external -> id."""
    table = _container_table(kind)
    creators = ids_by_external_id(session, Creator, [c.creator_id for c in containers])
    stamp = created_at_ms if created_at_ms is not None else now_ms()
    rows = []
    for c in containers:
        if c.creator_id not in creators:
            raise NotFound(f"creator {c.creator_id!r} not found", field="creator_id")
        rows.append(
            {
                "external_id": c.id,
                "creator_id": creators[c.creator_id],
                "title": c.title,
                "description": c.description,
                "category": c.category,
                "created_at_ms": stamp,
            }
        )
    insert_many(session, table, rows)
    return ids_by_external_id(session, table, [c.id for c in containers])


def container_public(session: Session, row: Series | Novel) -> ContainerPublic:
    """The API view of a series or novel row."""
    creator = session.get(Creator, row.creator_id)
    return ContainerPublic(
        id=row.external_id,
        creator_id=creator.external_id if creator else "",
        title=row.title,
        description=row.description,
        category=row.category,
        created_at_ms=row.created_at_ms,
    )


def _container_table(kind: ItemKind | str) -> type[Series] | type[Novel]:
    if kind == ItemKind.EPISODE:
        return Series
    if kind == ItemKind.CHAPTER:
        return Novel
    raise InvalidInput(f"kind {kind!r} has no parent container", field="kind")


# --- items -----------------------------------------------------------------------------------


def _item_values(
    item: ItemCreate, creator_id: int, parent_id: int | None, stamp: int
) -> dict[str, Any]:
    if item.kind in (ItemKind.EPISODE, ItemKind.CHAPTER):
        if item.parent_id is None or item.position is None:
            raise InvalidInput(
                f"{item.kind} {item.id!r} needs parent_id and position",
                field="parent_id" if item.parent_id is None else "position",
            )
    elif item.parent_id is not None:
        raise InvalidInput(
            f"a {item.kind} has no parent; got {item.parent_id!r}", field="parent_id"
        )
    return {
        "external_id": item.id,
        "kind": str(item.kind),
        "creator_id": creator_id,
        "series_id": parent_id if item.kind == ItemKind.EPISODE else None,
        "novel_id": parent_id if item.kind == ItemKind.CHAPTER else None,
        "position": item.position,
        "title": item.title,
        "caption": item.caption,
        "category": item.category,
        "tags": item.tags,
        "duration_ms": item.duration_ms,
        "media_path": item.media_path,
        "status": str(item.status),
        "aigc_status": str(item.aigc_status),
        "aigc_label": item.aigc_label,
        "created_at_ms": item.created_at_ms if item.created_at_ms is not None else stamp,
    }


def create_item(session: Session, *, item: ItemCreate) -> Item:
    """Insert one item; its creator (and series/novel for episodes/chapters) must exist."""
    if session.scalar(select(Item.id).where(Item.external_id == item.id)) is not None:
        raise Conflict(f"item {item.id!r} already exists", field="id")
    creator = get_creator(session, external_id=item.creator_id)
    parent_id = None
    if item.parent_id is not None and item.kind in (ItemKind.EPISODE, ItemKind.CHAPTER):
        table = _container_table(item.kind)
        parent = session.execute(
            select(table.id, table.creator_id).where(table.external_id == item.parent_id)
        ).first()
        if parent is None:
            raise NotFound(f"{table.__tablename__} {item.parent_id!r} not found", field="parent_id")
        if parent.creator_id != creator.id:
            # a series/novel holds its own creator's episodes/chapters only
            raise PermissionDenied(
                f"{table.__tablename__} {item.parent_id!r} belongs to another creator",
                field="parent_id",
            )
        parent_id = parent.id
    row = Item(**_item_values(item, creator.id, parent_id, now_ms()))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise Conflict(
            f"position {item.position} of {item.parent_id!r} is taken", field="position"
        ) from exc
    return row


def bulk_create_items(session: Session, *, items: Sequence[ItemCreate]) -> list[int]:
    """Insert many items in one statement (creators/parents must exist); returns internal ids."""
    creators = ids_by_external_id(session, Creator, [i.creator_id for i in items])
    series = ids_by_external_id(
        session, Series, [i.parent_id for i in items if i.kind == ItemKind.EPISODE]
    )
    novels = ids_by_external_id(
        session, Novel, [i.parent_id for i in items if i.kind == ItemKind.CHAPTER]
    )
    stamp = now_ms()
    rows = []
    for item in items:
        if item.creator_id not in creators:
            raise NotFound(f"creator {item.creator_id!r} not found", field="creator_id")
        parents = series if item.kind == ItemKind.EPISODE else novels
        parent_id = parents.get(item.parent_id) if item.parent_id else None
        if item.parent_id and parent_id is None:
            raise NotFound(f"parent {item.parent_id!r} not found", field="parent_id")
        rows.append(_item_values(item, creators[item.creator_id], parent_id, stamp))
    try:
        insert_many(session, Item, rows)
    except IntegrityError as exc:
        raise Conflict(f"an item id or parent position already exists: {exc.orig}") from exc
    ids = ids_by_external_id(session, Item, [i.id for i in items])
    return [ids[i.id] for i in items]


def get_item(session: Session, *, external_id: str) -> Item:
    """The item with this external id; NotFound otherwise."""
    row = session.scalar(select(Item).where(Item.external_id == external_id))
    if row is None:
        raise NotFound(f"item {external_id!r} not found", field="item_id")
    return row


def item_ids(session: Session, *, external_ids: Iterable[str]) -> dict[str, int]:
    """Internal ids of the items that exist among ``external_ids``."""
    return ids_by_external_id(session, Item, list(external_ids))


def update_item(session: Session, *, external_id: str, update: ItemUpdate) -> Item:
    """Apply the set fields of ``update`` to an item."""
    row = get_item(session, external_id=external_id)
    for key, value in update.model_dump(exclude_unset=True).items():
        setattr(row, key, str(value) if key in ("status", "aigc_status") else value)
    session.flush()
    return row


def delete_item(session: Session, *, external_id: str) -> None:
    """Mark an item removed (events keep referring to it, so rows are never deleted)."""
    row = get_item(session, external_id=external_id)
    row.status = "removed"
    session.flush()


def list_items(
    session: Session,
    *,
    cursor: str | None = None,
    limit: int = 50,
    kind: str | None = None,
    creator_id: str | None = None,
    parent_id: str | None = None,
    status: str | None = None,
    aigc_status: str | None = None,
) -> Page[ItemPublic]:
    """Items ordered by creation, filtered, one page at a time."""
    query = select(Item).where(Item.id > decode_cursor(cursor)).order_by(Item.id)
    if kind is not None:
        query = query.where(Item.kind == ItemKind(kind))
    if creator_id is not None:
        query = query.where(Item.creator_id == get_creator(session, external_id=creator_id).id)
    if parent_id is not None:
        series = aliased(Series)
        novel = aliased(Novel)
        query = (
            query.outerjoin(series, series.id == Item.series_id)
            .outerjoin(novel, novel.id == Item.novel_id)
            .where((series.external_id == parent_id) | (novel.external_id == parent_id))
        )
    if status is not None:
        query = query.where(Item.status == status)
    if aigc_status is not None:
        query = query.where(Item.aigc_status == aigc_status)
    rows = list(session.scalars(query.limit(_limit(limit) + 1)))
    return page_of(rows, limit, lambda row: item_public(session, row))


def item_public(session: Session, row: Item) -> ItemPublic:
    """The API view of an item row."""
    creator = session.get(Creator, row.creator_id)
    parent: Series | Novel | None = None
    if row.series_id is not None:
        parent = session.get(Series, row.series_id)
    elif row.novel_id is not None:
        parent = session.get(Novel, row.novel_id)
    return ItemPublic(
        id=row.external_id,
        kind=ItemKind(row.kind),
        creator_id=creator.external_id if creator else "",
        parent_id=parent.external_id if parent else None,
        position=row.position,
        title=row.title,
        caption=row.caption,
        category=row.category,
        tags=row.tags or [],
        duration_ms=row.duration_ms,
        media_path=row.media_path,
        status=row.status,  # type: ignore[arg-type]
        aigc_status=row.aigc_status,  # type: ignore[arg-type]
        aigc_label=row.aigc_label or {},
        created_at_ms=row.created_at_ms,
    )


# --- follows ---------------------------------------------------------------------------------


def follow(
    session: Session, *, user_id: int, creator_id: int, created_at_ms: int | None = None
) -> None:
    """Record that a user follows a creator (idempotent)."""
    if session.get(Follow, (user_id, creator_id)) is None:
        stamp = created_at_ms if created_at_ms is not None else now_ms()
        session.add(Follow(user_id=user_id, creator_id=creator_id, created_at_ms=stamp))
        session.flush()


def unfollow(session: Session, *, user_id: int, creator_id: int) -> None:
    """Remove a follow if present."""
    session.execute(
        delete(Follow).where(Follow.user_id == user_id, Follow.creator_id == creator_id)
    )
