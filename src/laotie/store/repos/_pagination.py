"""Opaque cursors for keyset pagination over integer ids."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from laotie.core.catalog import Page
from laotie.core.errors import InvalidInput
from laotie.core.ids import MAX_ROW_ID


def encode_cursor(last_id: int) -> str:
    """An opaque cursor that resumes after internal id ``last_id``."""
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, field: str = "cursor") -> int:
    """The internal id a cursor resumes after (0 for no cursor); InvalidInput when malformed."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, value = raw.split(":", 1)
        last_id = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"{field} is not a cursor this server issued", field=field) from exc
    if prefix != "id" or not 0 <= last_id <= MAX_ROW_ID:
        raise InvalidInput(f"{field} is not a cursor this server issued", field=field)
    return last_id


def page_of(rows: list[Any], limit: int, render: Callable[[Any], Any]) -> Page[Any]:
    """A page of ``limit`` rendered rows from ``rows`` (fetched with one extra row, which
    says whether a next page exists)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[render(r) for r in rows],
        next_cursor=encode_cursor(rows[-1].id) if more and rows else None,
    )
