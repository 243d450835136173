"""The ``live_host`` job: render an AI host's looping HLS stream for a live room.

The studio does not know rooms; whoever registers the kind passes ``check_room``, which
refuses a room that is not live, has no declared AI host, or belongs to another creator than
a creator key's. The stream goes to ``$LAOTIE_HOME/media/live/<room id>/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from laotie.core.catalog import EXTERNAL_ID
from laotie.core.kinds import Role
from laotie.core.settings import Settings
from laotie.studio.jobs import JobContext, JobRunner, Submitter, parse_params
from laotie.studio.presenter.hls import host_stream
from laotie.studio.presenter.present import PresenterOptions
from laotie.studio.render.formats import parse_format
from laotie.studio.render.script import script_from_text
from laotie.studio.tts.factory import engine_from_settings

#: ``check_room(room_id, scope=creator or None)`` raises when the room may not get a host
RoomCheck = Callable[..., None]


class HostRequest(BaseModel):
    """A product script the AI host reads in a loop in a live room."""

    model_config = ConfigDict(extra="forbid")

    room_id: str = Field(pattern=EXTERNAL_ID)
    text: str = Field(min_length=1, description="the product script (paragraphs = scenes)")
    size: str = Field(default="vertical-720", description="vertical, vertical-720, ... or WxH")
    segment_s: float = Field(default=2.0, ge=1.0, le=10.0, description="HLS segment length")


def host_dir(settings: Settings, room_id: str) -> Path:
    """Where a room's AI-host stream lives under the data dir."""
    return settings.path("media", "live", room_id)


def register_host_job(runner: JobRunner, settings: Settings, *, check_room: RoomCheck) -> None:
    """Register the ``live_host`` kind (admins and the room's creator may submit it)."""

    def validate(params: dict[str, Any], submitter: Submitter) -> dict[str, Any]:
        request = parse_params(HostRequest, params)
        parse_format(request.size)
        scope = submitter.scope if submitter.role == Role.CREATOR else None
        check_room(request.room_id, scope=scope)
        return request.model_dump(mode="json")

    def handler(ctx: JobContext) -> dict[str, Any]:
        request = HostRequest.model_validate(ctx.params)
        script = script_from_text(request.text, max_chars=settings.studio_max_script_chars)
        stream = host_stream(
            script,
            out_dir=host_dir(settings, request.room_id),
            engine=engine_from_settings(settings),
            options=PresenterOptions(video=parse_format(request.size)),
            segment_s=request.segment_s,
            progress=ctx.progress,
        )
        return {
            "room_id": request.room_id,
            "segments": len(stream.segments),
            "loop_s": round(stream.loop_s, 3),
            "aigc": stream.label.to_dict(),
        }

    runner.register("live_host", handler, validate=validate)
