"""Identifiers: sortable, URL-safe external ids (ULID format, Crockford base32)."""

from __future__ import annotations

import os
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: the largest internal (database) id: ids are INTEGER columns, 32-bit on PostgreSQL
MAX_ROW_ID = 2**31 - 1


def new_id(prefix: str = "", *, now_ms: int | None = None) -> str:
    """Return a new ULID (26 chars: 48-bit ms timestamp + 80 random bits), optionally prefixed."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return prefix + "".join(reversed(chars))
