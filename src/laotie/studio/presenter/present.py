"""The digital-human presenter: offline 2D (drawn or portrait) or Kling's avatar endpoint."""

from __future__ import annotations

import math
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from laotie.core.aigc import AigcLabel, new_label
from laotie.core.errors import InvalidInput
from laotie.studio.presenter.avatar import SpriteSet, default_sprites, portrait_sprites
from laotie.studio.presenter.motion import blink_mask, mouth_levels, write_track
from laotie.studio.providers.kling import KlingClient
from laotie.studio.render.compose import Composition, OverlayTrack, RenderResult, Shot, render
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.layout import Box
from laotie.studio.render.narrate import Progress, _quiet, scene_cards
from laotie.studio.render.script import NarrationScript
from laotie.studio.render.visuals import check_visual
from laotie.studio.tts.base import Narration, TtsEngine, synthesize_narration


@dataclass(frozen=True)
class PresenterOptions:
    """How the presenter video looks; backgrounds default to title cards."""

    video: VideoFormat
    avatar: Path | None = None
    backgrounds: tuple[Path, ...] = ()
    music: Path | None = None
    producer: str = "laotie"
    provider: Literal["offline", "kling"] = "offline"


def placement(video: VideoFormat, sprites: SpriteSet) -> tuple[int, int]:
    """Top-left corner of the presenter: bottom centre when vertical, bottom right otherwise."""
    y = (video.height - sprites.height) // 2 * 2  # even offsets: the 4:2:0 chroma grid
    if video.height > video.width:
        return (video.width - sprites.width) // 4 * 2, y
    return (video.width - sprites.width - round(video.width * 0.04)) // 2 * 2, y


def presenter_height(video: VideoFormat) -> int:
    """Sprite height for a frame: about half a vertical frame, most of a landscape one."""
    share = 0.55 if video.height > video.width else 0.8
    return max(2, round(video.height * share) // 2 * 2)


def presenter_track(
    narration: Narration, options: PresenterOptions, *, workdir: Path
) -> OverlayTrack:
    """Sprites and their per-frame switching list, driven by the voice's loudness."""
    video = options.video
    height = presenter_height(video)
    if options.avatar is not None:
        sprites = portrait_sprites(options.avatar, height, workdir=workdir)
        if sprites.width > video.width:
            sprites = portrait_sprites(
                options.avatar, math.floor(height * video.width / sprites.width), workdir=workdir
            )
    else:
        sprites = default_sprites(height, workdir=workdir)
    frames = math.ceil(narration.duration_s * video.fps)
    levels = mouth_levels(narration.path, fps=video.fps, frames=frames)
    blinks = blink_mask(frames, fps=video.fps)
    track = write_track(
        levels, blinks, fps=video.fps, sprite=sprites.sprite, out=workdir / "presenter.ffconcat"
    )
    x, y = placement(video, sprites)
    left, top, right, bottom = sprites.face
    # the subtitles keep clear of the presenter's face
    return OverlayTrack(track, x, y, face=Box(x + left, y + top, x + right, y + bottom))


def present(
    script: NarrationScript,
    *,
    out: Path,
    engine: TtsEngine,
    options: PresenterOptions,
    label: AigcLabel | None = None,
    kling: KlingClient | None = None,
    progress: Progress = _quiet,
    workdir: Path | None = None,
) -> RenderResult:
    """Render a presenter speaking ``script`` to ``out`` (labelled MP4, SRT beside it)."""
    for image in options.backgrounds:
        check_visual(image, field="backgrounds")
    if options.avatar is not None:
        check_visual(options.avatar, field="avatar")
    if options.provider == "kling" and kling is None:
        raise InvalidInput("the Kling presenter needs Kling keys", field="LAOTIE_KLING_ACCESS_KEY")
    label = label or new_label(producer=options.producer)
    scratch = Path(workdir or tempfile.mkdtemp(prefix="laotie_presenter_"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        progress(0.05, "speaking")
        narration = synthesize_narration(engine, script.sentences, workdir=scratch / "voice")
        overlay = None
        if options.provider == "kling" and kling is not None:
            progress(0.3, "waiting for Kling's avatar video")
            avatar = options.avatar or default_sprites(800, workdir=scratch).sprite(0, False)
            clip = kling.generate(
                "avatar", out=scratch / "kling_avatar.mp4", image=avatar, sound=narration.path
            )
            shots: tuple[Shot, ...] = (Shot(clip),)
        else:
            progress(0.3, "animating the presenter")
            overlay = presenter_track(narration, options, workdir=scratch)
            if options.backgrounds:
                shots = tuple(Shot(p, motion="still") for p in options.backgrounds)
            else:
                vertical = options.video.height > options.video.width
                cards = scene_cards(
                    script,
                    options.video,
                    workdir=scratch,
                    palettes=("ocean", "dusk", "forest"),
                    centre=(0.5, 0.24) if vertical else (0.32, 0.45),
                    text_width=0.8 if vertical else 0.5,
                )
                shots = tuple(Shot(c, motion="still") for c in cards)
        progress(0.5, "rendering")
        result = render(
            Composition(
                video=options.video,
                shots=shots,
                narration=narration,
                label=label,
                music=options.music,
                overlay=overlay,
            ),
            out=out,
            workdir=scratch,
        )
        progress(1.0, "done")
        return result
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)
