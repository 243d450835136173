"""Catalog schemas: what callers send (``Create``/``Update``) and get back (``Public``)."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from laotie.core.kinds import AigcStatus, ItemKind, ItemStatus

EXTERNAL_ID = r"^[A-Za-z0-9_.:\-]{1,128}$"
MAX_TITLE = 200
MAX_TEXT = 200_000
MAX_TAGS = 50
#: latest timestamp a caller may give (2100-01-01 UTC, epoch ms)
MAX_TS_MS = 4_102_444_800_000


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", from_attributes=True)


class _Update(_Schema):
    """An update: a field left out keeps its value; ``null`` only clears a nullable field."""

    #: fields that may be set to null (cleared)
    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_null_for_required(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                if value is None and name in cls.model_fields and name not in cls.NULLABLE:
                    raise ValueError(f"{name}: may not be null (leave it out to keep it)")
        return data


class UserCreate(_Schema):
    """A user (viewer/reader/player) of the platform."""

    id: str = Field(pattern=EXTERNAL_ID)
    region: str | None = Field(default=None, max_length=64)
    segment: str | None = Field(default=None, max_length=64)
    attrs: dict[str, Any] = Field(default_factory=dict)


class UserUpdate(_Update):
    """Fields of a user that may change."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"region", "segment"})

    region: str | None = Field(default=None, max_length=64)
    segment: str | None = Field(default=None, max_length=64)
    attrs: dict[str, Any] | None = None


class UserPublic(_Schema):
    """A user as the API returns it."""

    id: str
    region: str | None
    segment: str | None
    attrs: dict[str, Any]
    created_at_ms: int


class CreatorCreate(_Schema):
    """A creator (person or studio) who publishes items."""

    id: str = Field(pattern=EXTERNAL_ID)
    name: str = Field(min_length=1, max_length=MAX_TITLE)
    attrs: dict[str, Any] = Field(default_factory=dict)


class CreatorUpdate(_Update):
    """Fields of a creator that may change."""

    name: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    attrs: dict[str, Any] | None = None


class CreatorPublic(_Schema):
    """A creator as the API returns it."""

    id: str
    name: str
    attrs: dict[str, Any]
    created_at_ms: int


class ContainerCreate(_Schema):
    """A series (of episodes) or a novel (of chapters)."""

    id: str = Field(pattern=EXTERNAL_ID)
    creator_id: str = Field(pattern=EXTERNAL_ID)
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    description: str = Field(default="", max_length=MAX_TEXT)
    category: str = Field(default="", max_length=200)


class ContainerPublic(_Schema):
    """A series or novel as the API returns it."""

    id: str
    creator_id: str
    title: str
    description: str
    category: str
    created_at_ms: int


class ItemCreate(_Schema):
    """A feed unit: a video, an episode of a series, a chapter of a novel, or a game."""

    id: str = Field(pattern=EXTERNAL_ID)
    kind: ItemKind
    creator_id: str = Field(pattern=EXTERNAL_ID)
    parent_id: str | None = Field(default=None, pattern=EXTERNAL_ID, description="series/novel")
    position: int | None = Field(default=None, ge=1, le=100_000, description="1-based order")
    title: str = Field(min_length=1, max_length=MAX_TITLE)
    caption: str = Field(default="", max_length=MAX_TEXT, description="caption or chapter text")
    category: str = Field(default="", max_length=200, description="path, e.g. 美食/家常菜")
    tags: list[str] = Field(default_factory=list, max_length=MAX_TAGS)
    duration_ms: int = Field(default=0, ge=0, le=24 * 3600 * 1000)
    media_path: str | None = Field(default=None, max_length=1000)
    status: ItemStatus = ItemStatus.PUBLISHED
    aigc_status: AigcStatus = AigcStatus.NONE
    aigc_label: dict[str, Any] = Field(default_factory=dict)
    created_at_ms: int | None = Field(default=None, ge=0, le=MAX_TS_MS)


class ItemUpdate(_Update):
    """Fields of an item that may change (all optional)."""

    NULLABLE: ClassVar[frozenset[str]] = frozenset({"media_path"})

    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE)
    caption: str | None = Field(default=None, max_length=MAX_TEXT)
    category: str | None = Field(default=None, max_length=200)
    tags: list[str] | None = Field(default=None, max_length=MAX_TAGS)
    duration_ms: int | None = Field(default=None, ge=0, le=24 * 3600 * 1000)
    media_path: str | None = Field(default=None, max_length=1000)
    status: ItemStatus | None = None
    aigc_status: AigcStatus | None = None
    aigc_label: dict[str, Any] | None = None


class ItemPublic(_Schema):
    """An item as the API returns it."""

    id: str
    kind: ItemKind
    creator_id: str
    parent_id: str | None
    position: int | None
    title: str
    caption: str
    category: str
    tags: list[str]
    duration_ms: int
    media_path: str | None
    status: ItemStatus
    aigc_status: AigcStatus
    aigc_label: dict[str, Any]
    created_at_ms: int


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing and the cursor of the next (None at the end)."""

    items: list[T]
    next_cursor: str | None = None
