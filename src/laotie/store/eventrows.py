"""The hot log's ``events`` table at the SQL level: inserting rows (skipping ids already
stored), the ids already compacted to the lake, id lookups of users and items in few
statements, the high-water row id, and committed rows read back in log order."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from laotie.core.events import EVENT_NAMES
from laotie.store.delivery import Batch, StoredEvent
from laotie.store.tables import CompactedEventId, Event, StoreMeta

COMPACTED_UNTIL_KEY = "lake.compacted_until_ms"
COLUMNS = (
    "client_event_id, type, user_id, item_id, ts_ms, watch_ms, duration_ms, value, amount_fen, "
    "ref, request_id, device_id, extra, ingested_at_ms"
)
#: ids per lookup statement (SQLite allows 32,766 variables since 3.32)
LOOKUP_CHUNK = 30_000
#: builds a StoredEvent from a tuple without the Python-level NamedTuple constructor
new_stored = partial(tuple.__new__, StoredEvent)


def sqlite_ids(session: Session, table: str, external: Collection[str]) -> dict[str, int]:
    """external id -> internal id of the rows of ``table`` among ``external`` (few statements)."""
    connection = session.connection()
    wanted = list(external)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = tuple(wanted[start : start + LOOKUP_CHUNK])
        marks = ", ".join("?" * len(chunk))
        rows = connection.exec_driver_sql(
            f"SELECT external_id, id FROM {table} WHERE external_id IN ({marks})", chunk
        )
        found.update((ext, rid) for ext, rid in rows)
    return found


def sqlite_ensure_users(session: Session, external: set[str], now: int) -> dict[str, int]:
    """Like ``repos.catalog.ensure_users``, in two plain statements instead of ORM inserts."""
    found = sqlite_ids(session, "users", external)
    missing = sorted(external - found.keys())
    if missing:
        session.connection().exec_driver_sql(
            "INSERT OR IGNORE INTO users (external_id, attrs, created_at_ms) VALUES (?, '{}', ?)",
            [(user, now) for user in missing],
        )
        found.update(sqlite_ids(session, "users", missing))
    return found


def max_id(session: Session) -> int:
    """The highest row id in the hot log (0 when empty)."""
    return int(
        session.connection().exec_driver_sql("SELECT coalesce(max(id), 0) FROM events").scalar()
        or 0
    )


def insert_rows(
    session: Session, rows: list[tuple[Any, ...]], before: int, *, sqlite: bool
) -> set[str] | None:
    """Insert rows, skipping known ids; returns the inserted ids, or None when all were new."""
    if not rows:
        return set()
    connection = session.connection()
    if sqlite:
        cursor = connection.exec_driver_sql(
            f"INSERT OR IGNORE INTO events ({COLUMNS}) VALUES ({', '.join('?' * 14)})", rows
        )
        if cursor.rowcount == len(rows):
            return None
        found = connection.execute(
            text("SELECT client_event_id FROM events WHERE id > :before"), {"before": before}
        )
        return {r[0] for r in found}
    names = [c.strip() for c in COLUMNS.split(",")]
    # RETURNING names the rows this transaction inserted: a concurrent writer's copy of an
    # id (another process, same batch) is skipped here and reported as a duplicate
    statement = (
        pg_insert(Event)
        .on_conflict_do_nothing(index_elements=["client_event_id"])
        .returning(Event.client_event_id)
    )
    fresh = [dict(zip(names, r, strict=True)) for r in rows]
    return set(session.scalars(statement, fresh))


def drop_compacted(
    session: Session, events: list[tuple[int, dict[str, Any]]], *, sqlite: bool
) -> tuple[list[tuple[int, dict[str, Any]]], int]:
    """``events`` less those whose id was compacted to the lake already, whatever their
    ts_ms (an event id is accepted once across hot log and lake), and how many were dropped."""
    horizon = session.scalar(select(StoreMeta.value).where(StoreMeta.key == COMPACTED_UNTIL_KEY))
    if horizon is None:
        return events, 0
    ids = [e["id"] for _, e in events]
    known: set[str] = set()
    if sqlite:
        connection = session.connection()
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = tuple(ids[start : start + LOOKUP_CHUNK])
            marks = ", ".join("?" * len(chunk))
            rows = connection.exec_driver_sql(
                "SELECT client_event_id FROM compacted_event_ids "
                f"WHERE client_event_id IN ({marks})",
                chunk,
            )
            known.update(r[0] for r in rows)
    else:
        for start in range(0, len(ids), 900):
            known.update(
                session.scalars(
                    select(CompactedEventId.client_event_id).where(
                        CompactedEventId.client_event_id.in_(ids[start : start + 900])
                    )
                )
            )
    if not known:
        return events, 0
    kept = [(i, e) for i, e in events if e["id"] not in known]
    return kept, len(events) - len(kept)


def read_after(session: Session, after: int, upto: int, limit: int) -> Batch:
    """Committed events with ``after < id <= upto`` in log order, at most ``limit``: how a
    subscriber that fell behind (or was down) catches up from the hot log."""
    query = text(
        "SELECT e.id, e.client_event_id, e.type, e.user_id, u.external_id, e.item_id, "
        "i.external_id, e.ts_ms, e.watch_ms, e.duration_ms, e.value, e.amount_fen, e.ref, "
        "e.request_id, e.device_id FROM events e JOIN users u ON u.id = e.user_id "
        "LEFT JOIN items i ON i.id = e.item_id WHERE e.id > :after AND e.id <= :upto "
        "ORDER BY e.id LIMIT :limit"
    )
    rows = session.execute(query, {"after": after, "upto": upto, "limit": limit}).all()
    if not rows:
        return Batch(after + 1, upto, [])
    events = [new_stored((r[1], EVENT_NAMES[r[2]], *r[3:])) for r in rows]
    last = rows[-1][0] if len(rows) == limit else upto
    return Batch(after + 1, last, events)
