"""``make`` as a studio job: the request, its self-contained validator, and the runner.

Over the API no field is a server path: the visuals folder is the creator's media library
(``$LAOTIE_HOME/media/library/<creator_id>/``) and the music folder is
``$LAOTIE_HOME/media/music/<creator_id>/``, both chosen by the server from the creator the
key is scoped to. :func:`validate_make` checks everything a job needs before any work
starts, so it can sit in a per-kind validator registry as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from laotie.core.catalog import EXTERNAL_ID
from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings
from laotie.studio.ad.brief import parse_brief
from laotie.studio.jobs import STUDIO_CREATOR, parse_params
from laotie.studio.make.pipeline import MakeOptions, Progress, aspect_format
from laotie.studio.make.service import MakeSource, make_from_settings
from laotie.studio.make.visuals import check_sources
from laotie.studio.render.layout import SubtitleStyle


class MakeRequest(BaseModel):
    """Finished videos from a topic, a script or a product brief."""

    model_config = ConfigDict(extra="forbid")

    topic: str | None = Field(default=None, max_length=200, description="what the video is about")
    script: str | None = Field(default=None, max_length=20_000, description="a finished script")
    brief: dict[str, Any] | None = Field(default=None, description="a product brief (no paths)")
    title: str = Field(default="", max_length=200)
    seconds: float = Field(default=45.0, ge=10, le=180, description="target length (s)")
    variants: int = Field(default=1, ge=1, le=10)
    aspect: Literal["9:16", "16:9", "1:1"] = "9:16"
    resolution: int = Field(default=1080, ge=360, le=2160, description="short side (px)")
    visuals: list[str] = Field(default_factory=lambda: ["library"], max_length=9)
    tts: Literal["", "espeak", "openai", "azure", "volcengine"] = ""
    voice: str = Field(default="", max_length=100, pattern=r"^[\w.+:\-]*$")
    rate: float = Field(default=1.0, ge=0.5, le=2.0)
    use_llm: bool | None = None
    font: str = Field(default=SubtitleStyle.font, max_length=64)
    font_size: float = Field(default=0.075, ge=0.02, le=0.15)
    colour: str = "#FFFFFF"
    outline_colour: str = "#000000"
    position: Literal["bottom", "middle", "top"] = "bottom"
    transition: str = Field(default="auto", max_length=20)
    creator_id: str = Field(default=STUDIO_CREATOR, pattern=EXTERNAL_ID)
    publish: bool = Field(default=True, description="create a catalog item for each video")

    def style(self) -> SubtitleStyle:
        """The subtitle style asked for (raises ``InvalidInput`` naming a bad field)."""
        return SubtitleStyle(
            font=self.font,
            size_ratio=self.font_size,
            colour=self.colour,
            outline_colour=self.outline_colour,
            position=self.position,
        )

    def source(self) -> MakeSource:
        """What to make the videos from."""
        return MakeSource(
            topic=self.topic or "", script=self.script or "", brief=self.brief, title=self.title
        )


def validate_make(params: dict[str, Any]) -> dict[str, Any]:
    """The ``make`` job's params, checked and normalised; ``InvalidInput`` names the field."""
    request = parse_params(MakeRequest, params)
    request.source()
    request.style()
    check_sources(request.visuals)
    aspect_format(request.aspect, short_side=request.resolution)
    MakeOptions(video=aspect_format(request.aspect), transition=request.transition).transition_for(
        0
    )
    if request.brief is not None:
        for key in ("images", "music"):
            if request.brief.get(key):
                raise InvalidInput(
                    f"brief.{key} cannot name files over the API; put them in your media library",
                    field=f"brief.{key}",
                    limit="no paths",
                )
        parse_brief(request.brief)
    return request.model_dump(mode="json")


def creator_folder(settings: Settings, kind: str, creator_id: str) -> Path | None:
    """``$LAOTIE_HOME/media/<kind>/<creator_id>/`` when it exists (kind: library or music)."""
    folder = settings.path("media", kind, creator_id, "x").parent
    return folder if folder.is_dir() else None


def run_make(
    settings: Settings, request: MakeRequest, *, out_dir: Path, progress: Progress
) -> list[dict[str, Any]]:
    """Make the videos of a request into ``out_dir``; the summaries of each."""
    made = make_from_settings(
        request.source(),
        settings=settings,
        options=MakeOptions(
            video=aspect_format(request.aspect, short_side=request.resolution),
            variants=request.variants,
            style=request.style(),
            transition=request.transition,
            music_dir=creator_folder(settings, "music", request.creator_id),
        ),
        out_dir=out_dir,
        target_s=request.seconds,
        visuals=request.visuals,
        library=creator_folder(settings, "library", request.creator_id),
        engine_name=request.tts,
        voice=request.voice,
        rate=request.rate,
        use_llm=request.use_llm,
        progress=progress,
    )
    return [m.as_dict() for m in made]
