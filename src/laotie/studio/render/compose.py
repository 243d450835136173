"""The one-pass renderer: shots, voice, music, subtitles and the AIGC notice -> one MP4.

Every render is a single ffmpeg invocation whose filter graph does all the work: each still
is decoded once and repeated in memory (``loop``), panned with a moving ``crop`` or zoomed
with ``zoompan``, the shots are concatenated, subtitles are burnt in with libass, an optional
overlay track (the presenter) and the visible "AI生成" badge are overlaid, music is ducked
under the voice with a side-chain compressor, and the ``AIGC`` tag is written to the MP4.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from laotie.core.aigc import AigcLabel
from laotie.core.errors import InvalidInput
from laotie.media import FONT_PATH, atomic_output, mp4_label_args, probe, render_badge, run_ffmpeg
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.layout import Box, SafeArea, SubtitleStyle
from laotie.studio.render.subtitles import write_ass, write_srt
from laotie.studio.render.visuals import (
    MOTION_MARGIN,
    canvas_size,
    check_visual,
    is_clip,
    needs_preparing,
    prepare_still,
)
from laotie.studio.tts.base import Narration

#: camera moves a still can get; "zoom-in" costs a scale per frame, the pans are free crops
MOTIONS = ("pan-right", "pan-left", "pan-down", "pan-up", "zoom-in", "still")
#: the order shots cycle through when the caller names no motion
DEFAULT_MOTIONS = ("pan-right", "pan-down", "pan-left", "pan-up")
#: output audio sample rate (Hz)
AUDIO_RATE = 48_000
#: ffmpeg ``xfade`` transitions offered between shots ("" = a straight cut)
TRANSITIONS = ("fade", "dissolve", "wipeleft", "slideup", "circleopen", "smoothleft")


@dataclass(frozen=True)
class Shot:
    """One visual (still image or clip) shown for ``weight`` shares of the total time; a
    clip is played from ``start_s`` (seconds into it), looped if it is too short."""

    source: Path
    weight: float = 1.0
    motion: str = ""
    start_s: float = 0.0


@dataclass(frozen=True)
class OverlayTrack:
    """An ffconcat list of RGBA PNGs with durations, overlaid at ``x``, ``y`` (the presenter)."""

    concat_list: Path
    x: int
    y: int
    face: Box | None = None


@dataclass(frozen=True)
class Composition:
    """Everything one render needs; music gain in dB below the voice."""

    video: VideoFormat
    shots: tuple[Shot, ...]
    narration: Narration
    label: AigcLabel
    music: Path | None = None
    music_gain_db: float = -12.0
    overlay: OverlayTrack | None = None
    burn_subtitles: bool = True
    style: SubtitleStyle | None = None
    safe: SafeArea | None = None
    transition: str = ""
    transition_s: float = 0.5


@dataclass(frozen=True)
class RenderResult:
    """A finished video: its path, the SRT beside it, duration (s) and the label it carries."""

    path: Path
    srt_path: Path
    duration_s: float
    width: int
    height: int
    label: AigcLabel


def shot_frames(weights: Sequence[float], total_frames: int) -> list[int]:
    """Split ``total_frames`` over shots in proportion to ``weights`` (each gets >= 1 frame)."""
    if not weights or any(w <= 0 for w in weights):
        raise InvalidInput("shot weights must be positive", field="shots")
    if total_frames < len(weights):
        raise InvalidInput(
            f"{len(weights)} visuals do not fit in {total_frames} frames",
            field="images",
            limit=total_frames,
        )
    total = sum(weights)
    bounds, acc = [0], 0.0
    for weight in weights:
        acc += weight
        bounds.append(round(acc / total * total_frames))
    frames = [max(1, b - a) for a, b in itertools.pairwise(bounds)]
    frames[-1] += total_frames - sum(frames)
    return frames


def _motion_filter(motion: str, video: VideoFormat, frames: int) -> str:
    w, h, last = video.width, video.height, max(1, frames - 1)
    if motion == "pan-right":
        return f"crop={w}:{h}:'(iw-ow)*n/{last}':'(ih-oh)/2'"
    if motion == "pan-left":
        return f"crop={w}:{h}:'(iw-ow)*(1-n/{last})':'(ih-oh)/2'"
    if motion == "pan-down":
        return f"crop={w}:{h}:'(iw-ow)/2':'(ih-oh)*n/{last}'"
    if motion == "pan-up":
        return f"crop={w}:{h}:'(iw-ow)/2':'(ih-oh)*(1-n/{last})'"
    if motion == "zoom-in":
        return (
            f"zoompan=z='1+{MOTION_MARGIN:.3f}*on/{last}':x='iw/2-iw/zoom/2':"
            f"y='ih/2-ih/zoom/2':d=1:s={w}x{h}:fps={video.fps}"
        )
    if motion == "still":
        return f"crop={w}:{h}"
    raise InvalidInput(f"unknown motion {motion!r}", field="motion", limit=MOTIONS)


def _clip_chain(index: int, shot: Shot, frames: int, video: VideoFormat) -> tuple[list[str], str]:
    """A footage clip: read only the span used, trimmed to its frames, cropped to the frame's
    shape and then scaled (fewer pixels to scale than scaling first)."""
    w, h, fps = video.width, video.height, video.fps
    seconds = frames / fps + 1.0
    inputs = ["-stream_loop", "-1"]
    if shot.start_s > 0:
        inputs += ["-ss", f"{shot.start_s:.3f}"]
    inputs += ["-t", f"{seconds:.3f}", "-i", str(shot.source)]
    chain = (
        f"[{index}:v]fps={fps},trim=end_frame={frames},setpts=N/{fps}/TB,"
        f"crop='min(iw,ih*{w}/{h})':'min(ih,iw*{h}/{w})',scale={w}:{h}:flags=bicubic,"
        f"setsar=1,format=yuv420p"
    )
    return inputs, chain


def _shot_chain(
    index: int, shot: Shot, frames: int, video: VideoFormat, motion: str
) -> tuple[list[str], str]:
    """Input arguments and the filter chain for one shot (unlabelled; the caller ends it)."""
    if is_clip(shot.source):
        return _clip_chain(index, shot, frames, video)
    inputs = ["-i", str(shot.source)]
    width, height = canvas_size(video)
    # scale and convert the single decoded still once; ``loop`` then repeats it in memory
    chain = (
        f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=increase:flags=lanczos,"
        f"crop={width}:{height},setsar=1,format=yuv420p,"
        f"loop=loop={frames - 1}:size=1:start=0,trim=end_frame={frames},"
        f"setpts=N/{video.fps}/TB,{_motion_filter(motion, video, frames)},setsar=1"
    )
    return inputs, chain


def transition_frames(comp: Composition, frames: Sequence[int]) -> int:
    """Frames each transition overlaps (0 for straight cuts; never more than half a shot)."""
    if not comp.transition or len(frames) < 2:
        return 0
    if comp.transition not in TRANSITIONS:
        raise InvalidInput(
            f"unknown transition {comp.transition!r}", field="transition", limit=TRANSITIONS
        )
    wanted = round(comp.transition_s * comp.video.fps)
    return max(0, min(wanted, min(frames) // 2))


def _join_shots(comp: Composition, frames: Sequence[int], overlap: int) -> list[str]:
    """Filters that join the labelled shots ``[s0]..[sN]`` into ``[base]``."""
    n = len(frames)
    if overlap == 0:
        return ["".join(f"[s{i}]" for i in range(n)) + f"concat=n={n}:v=1:a=0[base]"]
    fps = comp.video.fps
    chains, current, elapsed = [], "s0", 0
    for i in range(1, n):
        elapsed += frames[i - 1]
        target = "base" if i == n - 1 else f"x{i}"
        chains.append(
            f"[{current}][s{i}]xfade=transition={comp.transition}:"
            f"duration={overlap / fps:.4f}:offset={elapsed / fps:.4f}[{target}]"
        )
        current = target
    return chains


def build_command(
    comp: Composition, *, workdir: Path, out: Path, preset: str = "veryfast", crf: int = 23
) -> list[str]:
    """The ffmpeg arguments of the single render pass (inputs prepared under ``workdir``)."""
    video, duration = comp.video, comp.narration.duration_s
    total_frames = math.ceil(duration * video.fps)
    frames = shot_frames([s.weight for s in comp.shots], total_frames)
    overlap = transition_frames(comp, frames)
    args: list[str] = []
    chains: list[str] = []
    n = len(comp.shots)
    for index, (shot, count) in enumerate(zip(comp.shots, frames, strict=True)):
        motion = shot.motion or DEFAULT_MOTIONS[index % len(DEFAULT_MOTIONS)]
        # with a transition every shot but the last runs on under the next one
        extended = count + (overlap if index < n - 1 else 0)
        shot_inputs, chain = _shot_chain(index, shot, extended, video, motion)
        args += shot_inputs
        # xfade needs one frame rate on both inputs; a plain concat does not
        chains.append(chain + (f",fps={video.fps}" if overlap else "") + f"[s{index}]")
    chains += _join_shots(comp, frames, overlap)
    current = "base"
    next_input = n
    if comp.overlay is not None:
        args += ["-f", "concat", "-safe", "0", "-i", str(comp.overlay.concat_list)]
        chains += [
            f"[{next_input}:v]format=yuva420p[presenter]",
            f"[{current}][presenter]overlay={comp.overlay.x}:{comp.overlay.y}:"
            f"eof_action=repeat:format=yuv420[presented]",
        ]
        current, next_input = "presented", next_input + 1
    if comp.burn_subtitles:
        chains.append(f"[{current}]ass=subs.ass:fontsdir={FONT_PATH.parent}[subbed]")
        current = "subbed"
    badge = render_badge(video.width, video.height, out=workdir / "badge.png")
    args += ["-i", badge.path.name]
    # converting the RGBA badge to YUVA once keeps overlay from converting every frame
    chains += [
        f"[{next_input}:v]format=yuva420p[badge]",
        f"[{current}][badge]overlay={badge.x}:{badge.y}:format=yuv420[vout]",
    ]
    next_input += 1
    voice = next_input
    args += ["-i", str(comp.narration.path)]
    stereo = f"aformat=sample_rates={AUDIO_RATE}:channel_layouts=stereo"
    if comp.music is not None:
        music = voice + 1
        args += ["-stream_loop", "-1", "-i", str(comp.music)]
        chains += [
            f"[{voice}:a]{stereo},asplit=2[voice][key]",
            f"[{music}:a]{stereo},volume={comp.music_gain_db}dB,atrim=0:{duration:.3f}[bed]",
            "[bed][key]sidechaincompress=threshold=0.02:ratio=12:attack=10:release=400[ducked]",
            "[voice][ducked]amix=inputs=2:duration=first:normalize=0[aout]",
        ]
    else:
        chains.append(f"[{voice}:a]{stereo}[aout]")
    return [
        *args,
        "-filter_complex",
        ";".join(chains),
        "-map",
        "[vout]",
        "-map",
        "[aout]",
        "-c:v",
        "libx264",
        "-preset",
        preset,
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(video.fps),
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-t",
        f"{duration:.3f}",
        *mp4_label_args(comp.label),
        str(out),
    ]


def render(
    comp: Composition, *, out: Path, workdir: Path, preset: str = "veryfast", crf: int = 23
) -> RenderResult:
    """Render ``comp`` to ``out`` (MP4, H.264 + AAC) in one ffmpeg pass; SRT written beside it."""
    if not comp.shots:
        raise InvalidInput("a video needs at least one visual", field="images", limit=">= 1")
    workdir.mkdir(parents=True, exist_ok=True)
    prepared: list[Shot] = []
    for index, shot in enumerate(comp.shots):
        source = check_visual(shot.source)
        if needs_preparing(source):
            source = prepare_still(
                source, comp.video, out=workdir / f"still_{index:03d}.png", margin=MOTION_MARGIN
            )
        prepared.append(Shot(source.resolve(), shot.weight, shot.motion, shot.start_s))
    if comp.music is not None:
        music_info = probe(comp.music)
        if not music_info.has_audio:
            raise InvalidInput(f"music file has no audio: {comp.music}", field="music")
    safe = comp.safe or SafeArea()
    if comp.overlay is not None and comp.overlay.face is not None:
        safe = SafeArea(zones=safe.zones, avoid=(*safe.avoid, comp.overlay.face))
    write_ass(
        comp.narration.cues, comp.video, out=workdir / "subs.ass", style=comp.style, safe=safe
    )
    staged = replace(
        comp, shots=tuple(prepared), music=comp.music.resolve() if comp.music else None
    )
    out = Path(out).resolve()
    with atomic_output(out) as temp:
        args = build_command(staged, workdir=workdir, out=temp, preset=preset, crf=crf)
        run_ffmpeg(args, stage="render", input_name=str(out), cwd=workdir)
    srt = write_srt(comp.narration.cues, out=out.with_suffix(".srt"))
    return RenderResult(
        out, srt, comp.narration.duration_s, comp.video.width, comp.video.height, comp.label
    )
