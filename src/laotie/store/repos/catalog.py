"""Catalog repository: users, creators, series, novels, items and follows.

Every function takes the session first and keyword-only arguments after it. Rows carry dense
integer ``id``s (the models' indices); the API speaks ``external_id`` strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import delete, insert, select
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
from laotie.store.repos._pagination import decode_cursor, encode_cursor
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
    return _ids(session, User, list(external_ids))


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
    return _page(rows, limit, user_public)


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
    _insert_many(
        session,
        Creator,
        [
            {"external_id": c.id, "name": c.name, "attrs": c.attrs, "created_at_ms": stamp}
            for c in creators
        ],
    )
    return _ids(session, Creator, [c.id for c in creators])


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
    return _page(rows, limit, creator_public)


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
    creators = _ids(session, Creator, [c.creator_id for c in containers])
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
    _insert_many(session, table, rows)
    return _ids(session, table, [c.id for c in containers])


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
    creators = _ids(session, Creator, [i.creator_id for i in items])
    series = _ids(session, Series, [i.parent_id for i in items if i.kind == ItemKind.EPISODE])
    novels = _ids(session, Novel, [i.parent_id for i in items if i.kind == ItemKind.CHAPTER])
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
        _insert_many(session, Item, rows)
    except IntegrityError as exc:
        raise Conflict(f"an item id or parent position already exists: {exc.orig}") from exc
    ids = _ids(session, Item, [i.id for i in items])
    return [ids[i.id] for i in items]


def get_item(session: Session, *, external_id: str) -> Item:
    """The item with this external id; NotFound otherwise."""
    row = session.scalar(select(Item).where(Item.external_id == external_id))
    if row is None:
        raise NotFound(f"item {external_id!r} not found", field="item_id")
    return row


def item_ids(session: Session, *, external_ids: Iterable[str]) -> dict[str, int]:
    """Internal ids of the items that exist among ``external_ids``."""
    return _ids(session, Item, list(external_ids))


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
    return _page(rows, limit, lambda row: item_public(session, row))


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


# --- frames for models and analytics ---------------------------------------------------------


_ITEMS_FRAME_SQL = """
SELECT i.id, i.external_id, i.kind, i.creator_id, c.external_id, i.series_id, i.novel_id,
       s.external_id, n.external_id, i.position, i.title, i.caption, i.category,
       CAST(i.tags AS TEXT),
       i.duration_ms, i.created_at_ms, i.status, i.aigc_status
FROM items i
JOIN creators c ON c.id = i.creator_id
LEFT JOIN series s ON s.id = i.series_id
LEFT JOIN novels n ON n.id = i.novel_id
ORDER BY i.id
"""
_ITEMS_SCHEMA: dict[str, Any] = {
    "id": pl.Int64,
    "external_id": pl.Utf8,
    "kind": pl.Utf8,
    "creator_id": pl.Int64,
    "creator_external_id": pl.Utf8,
    "series_id": pl.Int64,
    "novel_id": pl.Int64,
    "series_external_id": pl.Utf8,
    "novel_external_id": pl.Utf8,
    "position": pl.Int64,
    "title": pl.Utf8,
    "caption": pl.Utf8,
    "category": pl.Utf8,
    "tags": pl.Utf8,
    "duration_ms": pl.Int64,
    "created_at_ms": pl.Int64,
    "status": pl.Utf8,
    "aigc_status": pl.Utf8,
}


def items_frame(session: Session) -> pl.DataFrame:
    """Every item as a Polars frame (internal ids; tags as a list column).

    Read at the driver level and decoded column-wise: the ORM path cost seconds per
    200,000 items, and training and catalog refreshes read this often.
    """
    rows = session.connection().exec_driver_sql(_ITEMS_FRAME_SQL).fetchall()
    frame = pl.DataFrame(rows, schema=_ITEMS_SCHEMA, orient="row")
    return frame.with_columns(
        pl.col("tags").fill_null("[]").str.json_decode(pl.List(pl.Utf8)).fill_null([])
    )


def item_columns_frame(session: Session, schema: Mapping[str, Any]) -> pl.DataFrame:
    """Columns of the items table (``schema``: name -> Polars type), ordered by id.

    No joins and the driver's own cursor: the feed reads its catalog this way for every
    training, where ``items_frame`` cost half as much again."""
    unknown = sorted(set(schema) - set(Item.__table__.columns.keys()))
    if unknown:
        raise ValueError(f"items has no column {', '.join(unknown)}")
    cursor = session.connection().connection.cursor()
    try:
        cursor.execute(f"SELECT {', '.join(schema)} FROM items ORDER BY id")
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pl.DataFrame(rows, schema=dict(schema), orient="row")


def users_frame(session: Session) -> pl.DataFrame:
    """Every user as a Polars frame (internal id, external id, region, segment, created)."""
    rows = session.execute(
        select(User.id, User.external_id, User.region, User.segment, User.created_at_ms)
    ).all()
    schema = {
        "id": pl.Int64,
        "external_id": pl.Utf8,
        "region": pl.Utf8,
        "segment": pl.Utf8,
        "created_at_ms": pl.Int64,
    }
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


def follows_frame(session: Session) -> pl.DataFrame:
    """Every follow as a Polars frame (user_id, creator_id, created_at_ms; internal ids)."""
    rows = session.execute(select(Follow.user_id, Follow.creator_id, Follow.created_at_ms)).all()
    schema = {"user_id": pl.Int64, "creator_id": pl.Int64, "created_at_ms": pl.Int64}
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


# --- helpers ---------------------------------------------------------------------------------


def _insert_many(session: Session, table: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])


def _ids(session: Session, table: Any, external_ids: list[str | None]) -> dict[str, int]:
    wanted = list({e for e in external_ids if e is not None})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        rows = session.execute(
            select(table.external_id, table.id).where(table.external_id.in_(chunk))
        )
        found.update({ext: rid for ext, rid in rows})
    return found


def _page(rows: list[Any], limit: int, render: Any) -> Page[Any]:
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[render(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )
