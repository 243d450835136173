"""What a studio media job is asked: the request of each kind, the input files it names, who
may submit it, and the context its work runs in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from laotie.core.catalog import EXTERNAL_ID
from laotie.core.contracts import CatalogDoor
from laotie.core.kinds import Role
from laotie.core.settings import Settings
from laotie.store.db import Database
from laotie.studio.files import StudioFiles, studio_files
from laotie.studio.jobs import DEFAULT_ROLES, STUDIO_CREATOR


@dataclass(frozen=True)
class MediaContext:
    """What a media job needs: settings, the database, the catalog door (where outputs are
    published, screened by trust) and (optionally) the ads service."""

    settings: Settings
    db: Database
    catalog: CatalogDoor
    ads: Any = None

    @property
    def files(self) -> StudioFiles:
        """The uploaded input files API callers name by id."""
        return studio_files(self.settings)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")

    size: str = Field(
        default="vertical", description="vertical, vertical-720, landscape, square or WxH"
    )
    music: str | None = Field(
        default=None, description="background music file, ducked under the voice"
    )
    creator_id: str = Field(default=STUDIO_CREATOR, pattern=EXTERNAL_ID)
    publish: bool = Field(default=True, description="create a catalog item for each video")


class NarrateRequest(_Request):
    """A narrated video from text or from a script file (text, Markdown, episode JSON)."""

    text: str | None = Field(default=None, description="narration text (paragraphs = scenes)")
    script_path: str | None = Field(default=None, description="a .txt/.md/.json script file")
    episode: int | None = Field(default=None, ge=1, description="episode of an adaptation JSON")
    title: str = Field(default="", max_length=200)
    images: list[str] = Field(default_factory=list, max_length=60)


class AdRequest(_Request):
    """N ad videos from a product brief."""

    brief: dict[str, Any]
    variants: int = Field(default=3, ge=1, le=24)
    use_llm: bool = Field(default=False, description="write the copy with the LLM provider")
    campaign_id: str | None = Field(default=None, description="register videos as its creatives")
    landing_url: str | None = Field(default=None, description="click target of the creatives")
    advertiser_scope: str | None = Field(
        default=None, description="the advertiser a key is scoped to (set by the API)"
    )


class PresenterRequest(_Request):
    """A digital-human presenter speaking ``text``."""

    text: str = Field(min_length=1)
    avatar: str | None = Field(default=None, description="portrait image; default: drawn")
    backgrounds: list[str] = Field(default_factory=list, max_length=30)
    provider: Literal["offline", "kling"] = "offline"


class KlingRequest(BaseModel):
    """A Kling clip: text2video from a prompt, or image2video from an uploaded still."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["text2video", "image2video"]
    prompt: str = Field(default="", max_length=2500)
    image_base64: str | None = Field(
        default=None, max_length=14_000_000, description="the still (base64), image2video"
    )
    aspect: Literal["9:16", "16:9", "1:1"] = "9:16"
    duration: Literal[5, 10] = 5
    creator_id: str = Field(default=STUDIO_CREATOR, pattern=EXTERNAL_ID)
    publish: bool = Field(default=False, description="create a catalog item for the clip")


#: the params of each kind that name input files (``a.b``: key b of dict a; lists hold many)
FILE_FIELDS: dict[str, tuple[str, ...]] = {
    "narrate": ("script_path", "images", "music"),
    "ad": ("music", "brief.images", "brief.music"),
    "presenter": ("avatar", "backgrounds", "music"),
    "kling": (),
}
#: who may submit each kind over the API (advertisers make ads for their own campaigns)
MEDIA_ROLES: dict[str, frozenset[Role]] = {
    "narrate": DEFAULT_ROLES,
    "ad": DEFAULT_ROLES | {Role.ADVERTISER},
    "presenter": DEFAULT_ROLES,
    "kling": DEFAULT_ROLES,
}
