"""Opaque page cursors: the session's request id, page number and the items already served.

A cursor is self-contained (zlib-compressed JSON, base64url), so the next page excludes the
earlier ones on any server process and across model swaps.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from laotie.core.errors import InvalidInput

_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    """Where a feed session is: its first request id, the next page and served item ids."""

    session: str
    page: int
    served: tuple[int, ...]

    def encode(self) -> str:
        """The cursor as an opaque URL-safe string."""
        payload = json.dumps(
            {"v": _VERSION, "s": self.session, "p": self.page, "x": list(self.served)},
            separators=(",", ":"),
        )
        return base64.urlsafe_b64encode(zlib.compress(payload.encode())).decode().rstrip("=")


def next_cursor_after(
    previous: Cursor | None, request_id: str, shown: Sequence[int], *, max_items: int
) -> str:
    """The encoded cursor of the page after one that showed ``shown`` (internal item ids),
    remembering at most ``max_items`` served items; a first page starts a session."""
    served = (*(previous.served if previous else ()), *shown)[-max_items:]
    return Cursor(
        session=previous.session if previous else request_id,
        page=(previous.page + 1) if previous else 2,
        served=tuple(served),
    ).encode()


def decode_cursor(text: str, *, max_length: int = 16_384) -> Cursor:
    """Parse a cursor from ``Cursor.encode``; ``InvalidInput`` (field ``cursor``) otherwise."""
    if len(text) > max_length:
        raise InvalidInput(
            f"cursor is longer than {max_length} characters", field="cursor", limit=max_length
        )
    try:
        raw = zlib.decompress(
            base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), bufsize=65_536
        )
        data = json.loads(raw)
        if data.get("v") != _VERSION:
            raise ValueError("unknown cursor version")
        served = tuple(int(x) for x in data["x"])
        session, page = str(data["s"]), int(data["p"])
        if page < 1 or any(x < 0 for x in served):
            raise ValueError("out of range")
    except (binascii.Error, zlib.error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            "cursor is not one this feed issued",
            field="cursor",
            limit="a cursor from a previous page",
        ) from exc
    return Cursor(session=session, page=page, served=served)


def check_page_size(n: int, *, limit: int) -> None:
    """``InvalidInput`` unless ``n`` is a page size from 1 to ``limit``."""
    if not isinstance(n, int) or not 1 <= n <= limit:
        raise InvalidInput(
            f"n must be between 1 and {limit}, got {n}", field="n", limit=f"1..{limit}"
        )
