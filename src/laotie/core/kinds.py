"""Domain vocabularies shared by every area: item kinds, AIGC status, roles."""

from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    """What a feed unit is. Episodes belong to a series, chapters to a novel; a ``live`` item
    is a live room, distributed while it is live."""

    VIDEO = "video"
    EPISODE = "episode"
    CHAPTER = "chapter"
    GAME = "game"
    LIVE = "live"


class ItemStatus(StrEnum):
    """Lifecycle of an item: only ``published`` items are distributed."""

    DRAFT = "draft"
    PUBLISHED = "published"
    REMOVED = "removed"


class AigcStatus(StrEnum):
    """AIGC status of an item (GB 45438-2025 platform duties)."""

    NONE = "none"
    DECLARED = "declared"
    SUSPECTED = "suspected"
    CONFIRMED = "confirmed"


class Role(StrEnum):
    """The role an API key carries."""

    ADMIN = "admin"
    CREATOR = "creator"
    ADVERTISER = "advertiser"
    APP = "app"
