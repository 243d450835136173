"""Narrated video: script -> sentences -> speech -> timed subtitles -> one-pass render."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from laotie.core.aigc import SPOKEN_NOTICE, AigcLabel, new_label
from laotie.core.errors import InvalidInput
from laotie.media import atomic_output, mp4_label_args, run_ffmpeg
from laotie.studio.render.cards import PALETTES, title_card
from laotie.studio.render.compose import Composition, OverlayTrack, RenderResult, Shot, render
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.script import NarrationScript
from laotie.studio.render.subtitles import shorten, write_srt
from laotie.studio.render.visuals import check_visual
from laotie.studio.tts.base import Narration, TtsEngine, synthesize_narration

#: called with (fraction done 0-1, what is happening)
Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _message: str) -> None:
    return None


@dataclass(frozen=True)
class NarrateOptions:
    """How a narrated video looks; images are used in order, cards are drawn when none."""

    video: VideoFormat
    images: tuple[Path, ...] = ()
    music: Path | None = None
    music_gain_db: float = -12.0
    palettes: tuple[str, ...] = field(default_factory=lambda: tuple(PALETTES))
    producer: str = "laotie"
    overlay: OverlayTrack | None = None


def scene_weights(script: NarrationScript, narration: Narration) -> list[float]:
    """Seconds each scene is on screen: from its first cue to the next scene's first cue."""
    starts, index = [], 0
    for scene in script.scenes:
        starts.append(0.0 if index == 0 else narration.cues[index].start_s)
        index += len(scene.sentences)
    ends = [*starts[1:], narration.duration_s]
    return [max(end - start, 1e-3) for start, end in zip(starts, ends, strict=True)]


def scene_cards(
    script: NarrationScript,
    video: VideoFormat,
    *,
    workdir: Path,
    palettes: Sequence[str],
    centre: tuple[float, float] = (0.5, 0.5),
    text_width: float = 0.8,
) -> list[Path]:
    """One title card per scene: the title on the first, the scene heading on the others."""
    cards = []
    for number, scene in enumerate(script.scenes):
        first_line = scene.sentences[0].rstrip("。！？!?，,")
        heading = script.title if number == 0 else scene.heading
        subtitle = shorten(first_line, max_chars=12) if number else ""
        if not heading or heading.isdigit():
            heading, subtitle = script.title, shorten(first_line, max_chars=12)
        cards.append(
            title_card(
                heading,
                video,
                out=workdir / f"card_{number:03d}.png",
                subtitle=subtitle,
                palette=palettes[number % len(palettes)],
                centre=centre,
                text_width=text_width,
            )
        )
    return cards


def build_shots(
    script: NarrationScript,
    narration: Narration,
    options: NarrateOptions,
    *,
    workdir: Path,
) -> tuple[Shot, ...]:
    """User images share the time evenly; otherwise one card per scene for its spoken span."""
    if options.images:
        return tuple(Shot(check_visual(p)) for p in options.images)
    cards = scene_cards(script, options.video, workdir=workdir, palettes=options.palettes)
    weights = scene_weights(script, narration)
    return tuple(Shot(card, weight) for card, weight in zip(cards, weights, strict=True))


def narrate(
    script: NarrationScript,
    *,
    out: Path,
    engine: TtsEngine,
    options: NarrateOptions,
    label: AigcLabel | None = None,
    progress: Progress = _quiet,
    workdir: Path | None = None,
) -> RenderResult:
    """Speak ``script`` and render it as a labelled MP4 at ``out`` (SRT written beside it)."""
    for image in options.images:
        check_visual(image)
    label = label or new_label(producer=options.producer)
    scratch = Path(workdir or tempfile.mkdtemp(prefix="laotie_narrate_"))
    try:
        progress(0.05, f"speaking {len(script.sentences)} sentences")
        narration = synthesize_narration(engine, script.sentences, workdir=scratch / "voice")
        progress(0.45, "preparing visuals")
        shots = build_shots(script, narration, options, workdir=scratch)
        progress(0.55, "rendering")
        result = render(
            Composition(
                video=options.video,
                shots=shots,
                narration=narration,
                label=label,
                music=options.music,
                music_gain_db=options.music_gain_db,
                overlay=options.overlay,
            ),
            out=out,
            workdir=scratch,
        )
        progress(1.0, "done")
        return result
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)


def narrate_audio(
    script: NarrationScript,
    *,
    out: Path,
    engine: TtsEngine,
    label: AigcLabel | None = None,
    producer: str = "laotie",
) -> Path:
    """Audio-only narration (M4A/AAC): a spoken AIGC notice first, then the script."""
    if Path(out).suffix.lower() not in {".m4a", ".mp4"}:
        raise InvalidInput("audio-only output must be .m4a", field="out", limit=".m4a")
    label = label or new_label(producer=producer)
    scratch = Path(tempfile.mkdtemp(prefix="laotie_audio_"))
    try:
        narration = synthesize_narration(
            engine, [SPOKEN_NOTICE, *script.sentences], workdir=scratch
        )
        out = Path(out).resolve()
        with atomic_output(out) as temp:
            run_ffmpeg(
                [
                    "-i",
                    str(narration.path),
                    "-c:a",
                    "aac",
                    "-b:a",
                    "96k",
                    *mp4_label_args(label),
                    str(temp),
                ],
                stage="audio narration",
                input_name=str(out),
            )
        write_srt(narration.cues, out=out.with_suffix(".srt"))
        return out
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
