"""Bulk helpers for repositories: chunked inserts and external-id lookups."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session


def insert_many(session: Session, table: type[Any], rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table`` in chunks of 5,000."""
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])


def ids_by_external_id(
    session: Session, table: Any, external_ids: list[str | None]
) -> dict[str, int]:
    """Row ids of ``table`` by external id, for the ids that exist (None entries ignored)."""
    wanted = list({e for e in external_ids if e is not None})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        rows = session.execute(
            select(table.external_id, table.id).where(table.external_id.in_(chunk))
        )
        found.update({ext: rid for ext, rid in rows})
    return found
