"""``studio make``: topic (or script, or brief) -> script -> voice -> visuals -> subtitles ->
music -> one labelled video per variant, each with its cover and SRT.

Variants differ in every part the creator did not pin: the script (another template hook,
order and closing, or another LLM angle), the voice (espeak voice variant or the given
voice), the visuals (the next equally good library file or stock hit), the transition, the
music track and the card palette.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput
from laotie.studio.make.cover import make_cover
from laotie.studio.make.script import MadeScript
from laotie.studio.make.visuals import Visual, VisualSource, plan_visuals
from laotie.studio.providers.kling import KlingClient
from laotie.studio.render.cards import PALETTES
from laotie.studio.render.compose import TRANSITIONS, Composition, RenderResult, Shot, render
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.layout import SafeArea, SubtitleStyle
from laotie.studio.render.narrate import scene_weights
from laotie.studio.tts.base import TtsEngine, synthesize_narration, wav_duration_s
from laotie.studio.tts.loudness import TARGET_LUFS, normalise_loudness

#: aspect ratio -> frame size (pixels) at 1080p
ASPECTS = {"9:16": (1080, 1920), "16:9": (1920, 1080), "1:1": (1080, 1080)}
MUSIC_SUFFIXES = (".mp3", ".m4a", ".aac", ".wav", ".ogg", ".flac", ".opus")
Progress = Callable[[float, str], None]


def aspect_format(aspect: str, *, short_side: int = 1080, fps: int = 30) -> VideoFormat:
    """The frame for an aspect ratio (``9:16``, ``16:9``, ``1:1``) at ``short_side`` pixels."""
    if aspect not in ASPECTS:
        raise InvalidInput(f"unknown aspect {aspect!r}", field="aspect", limit=tuple(ASPECTS))
    if not 360 <= short_side <= 2160 or short_side % 2:
        raise InvalidInput(
            "the short side must be even and within 360-2160", field="resolution", limit=(360, 2160)
        )
    w, h = ASPECTS[aspect]
    scale = short_side / min(w, h)
    return VideoFormat(round(w * scale) // 2 * 2, round(h * scale) // 2 * 2, fps)


def music_tracks(folder: Path | None) -> list[Path]:
    """Audio files in ``folder`` (sorted); none without a folder."""
    if folder is None:
        return []
    if not Path(folder).is_dir():
        raise InvalidInput(f"music folder not found: {folder}", field="music_dir")
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in MUSIC_SUFFIXES)


@dataclass(frozen=True)
class MakeOptions:
    """How the videos of one ``make`` job look and sound."""

    video: VideoFormat
    variants: int = 1
    style: SubtitleStyle = field(default_factory=SubtitleStyle)
    safe: SafeArea = field(default_factory=SafeArea)
    transition: str = "auto"
    music_dir: Path | None = None
    music_gain_db: float = -14.0
    cover: bool = True
    producer: str = "laotie"

    def transition_for(self, variant: int) -> str:
        """The transition of variant ``variant``: ``auto`` cycles through them all."""
        if self.transition == "auto":
            return TRANSITIONS[variant % len(TRANSITIONS)]
        if self.transition in ("", "none", "cut"):
            return ""
        if self.transition not in TRANSITIONS:
            raise InvalidInput(
                f"unknown transition {self.transition!r}",
                field="transition",
                limit=("auto", "none", *TRANSITIONS),
            )
        return self.transition


@dataclass(frozen=True)
class MadeVideo:
    """One finished variant."""

    variant: int
    result: RenderResult
    cover: Path | None
    title: str
    script_source: str
    sentences: tuple[str, ...]
    visuals: tuple[Visual, ...]
    voice: str
    transition: str
    music: Path | None
    loudness_target_lufs: float = TARGET_LUFS

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (paths as strings)."""
        return {
            "variant": self.variant,
            "path": str(self.result.path),
            "srt_path": str(self.result.srt_path),
            "cover": str(self.cover) if self.cover else None,
            "duration_s": round(self.result.duration_s, 3),
            "title": self.title,
            "script_source": self.script_source,
            "sentences": list(self.sentences),
            "visuals": [
                {
                    "path": str(v.path),
                    "source": v.source,
                    "keywords": list(v.keywords),
                    "credit": v.credit,
                }
                for v in self.visuals
            ],
            "voice": self.voice,
            "transition": self.transition or "cut",
            "music": str(self.music) if self.music else None,
            "loudness_target_lufs": self.loudness_target_lufs,
            "aigc": self.result.label.to_dict(),
        }


def _shot(visual: Visual, weight: float, variant: int) -> Shot:
    # a different stretch of the same clip in each variant
    return Shot(visual.path, weight, start_s=0.0 if variant == 0 else 0.7 * variant)


def make_video(
    made: MadeScript,
    *,
    variant: int,
    engine: TtsEngine,
    options: MakeOptions,
    sources: Sequence[VisualSource],
    out: Path,
    workdir: Path,
    kling_image: KlingClient | None = None,
    progress: Progress = lambda _f, _m: None,
) -> MadeVideo:
    """Voice, visuals, render and cover of one variant."""
    script = made.script
    progress(0.05, f"variant {variant + 1}: speaking {len(script.sentences)} sentences")
    spoken = synthesize_narration(engine, script.sentences, workdir=workdir / "voice")
    level = normalise_loudness(spoken.path, out=workdir / "voice" / "narration_16lufs.wav")
    narration = replace(
        spoken, path=level, duration_s=max(spoken.duration_s, wav_duration_s(level))
    )
    progress(0.35, f"variant {variant + 1}: finding visuals")
    palettes = (
        tuple(PALETTES)[variant % len(PALETTES) :] + tuple(PALETTES)[: variant % len(PALETTES)]
    )
    visuals = plan_visuals(
        script.sentences,
        sources,
        title=script.title,
        video=options.video,
        variant=variant,
        out_dir=out.with_name(f"{out.stem}_assets"),
        palettes=palettes,
        kling_image=kling_image,
    )
    weights = scene_weights(script, narration)
    tracks = music_tracks(options.music_dir)
    music = tracks[variant % len(tracks)] if tracks else None
    transition = options.transition_for(variant)
    label = new_label(producer=options.producer)
    progress(0.55, f"variant {variant + 1}: rendering")
    result = render(
        Composition(
            video=options.video,
            shots=tuple(_shot(v, w, variant) for v, w in zip(visuals, weights, strict=True)),
            narration=narration,
            label=label,
            music=music,
            music_gain_db=options.music_gain_db,
            style=options.style,
            safe=options.safe,
            transition=transition,
        ),
        out=out,
        workdir=workdir / "render",
    )
    cover = None
    if options.cover:
        # each variant's cover shows another of its visuals
        cover = make_cover(
            visuals[min(variant, len(visuals) - 1)].path,
            title=script.title,
            video=options.video,
            out=out.with_name(f"{out.stem}_cover.png"),
            label=label,
        )
    progress(1.0, f"variant {variant + 1}: done")
    return MadeVideo(
        variant,
        result,
        cover,
        script.title,
        made.source,
        tuple(script.sentences),
        tuple(visuals),
        getattr(engine, "voice", getattr(engine, "name", "")),
        transition,
        music,
    )


def make_videos(
    write: Callable[[int], MadeScript],
    *,
    engine_for: Callable[[int], TtsEngine],
    options: MakeOptions,
    sources: Sequence[VisualSource],
    out_dir: Path,
    kling_image: KlingClient | None = None,
    progress: Progress = lambda _f, _m: None,
) -> list[MadeVideo]:
    """``options.variants`` videos into ``out_dir`` (``video_NN.mp4`` + cover + SRT);
    ``write(variant)`` gives each variant's script, ``engine_for(variant)`` its voice."""
    if not 1 <= options.variants <= 10:
        raise InvalidInput("variants must be within 1-10", field="variants", limit=(1, 10))
    out_dir.mkdir(parents=True, exist_ok=True)
    made: list[MadeVideo] = []
    share = 1.0 / options.variants
    for variant in range(options.variants):

        def step(fraction: float, message: str, base: float = variant * share) -> None:
            progress(base + fraction * share, message)

        step(0.0, f"variant {variant + 1}: writing the script")
        workdir = out_dir / f".work_{variant:02d}"
        try:
            made.append(
                make_video(
                    write(variant),
                    variant=variant,
                    engine=engine_for(variant),
                    options=options,
                    sources=sources,
                    out=out_dir / f"video_{variant + 1:02d}.mp4",
                    workdir=workdir,
                    kling_image=kling_image,
                    progress=step,
                )
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return made
