"""Render speed: two 60-second 1080x1920 narrated videos, each rendered three ways in one run.

Stills: 12 images (1600x1200 JPEGs) with slow pans. Footage: 12 spans cut from 6 distinct
1920x1080 30 fps H.264 clips (ffmpeg's moving test sources; each clip entered twice, at
different seconds), cropped to 9:16 and scaled to the frame.

- laotie: ``laotie.studio.render.render`` -- one ffmpeg filter graph: each still decoded once
  (or each clip read only over the span used, trimmed, cropped, scaled), burnt-in subtitles
  (libass), the "AI生成" badge, the voice and the ``AIGC`` metadata tag; libx264 veryfast /
  CRF 23 + AAC 128k;
- moviepy: the same composition (panned image clips, or ``subclipped`` video clips with
  ``Crop`` + ``Resize``; one text clip per subtitle cue; the badge image; the same voice)
  written by ``write_videofile`` with the same encoder settings -- the Python-per-frame peer
  (moviepy is a benchmark-only dependency, installed by ``make bench``);
- bare: one ffmpeg pass that encodes the same frames with nothing else (the same stills and
  pans, or the same clip spans trimmed, cropped and scaled by the same filters), concatenated,
  with the same voice -- no subtitles, no badge, no metadata: the floor any renderer of these
  frames pays;
- slideshow (context only): the 12 stills without motion (concat demuxer).

The narration (espeak-ng, padded to exactly 60 s) and the inputs are made once and shared;
only the rendering is timed, as wall-clock seconds and as CPU seconds (user + system of the
process and its children). Floors, judged on CPU seconds (meaningful on a shared machine):
stills laotie >= 3x faster than moviepy and <= 1.3x the bare encode; footage >= 6x and <= 1.2x.
Run ``laotie bench render`` (``--quick``: 12 s at 540x960, 4 images, 4 clip spans);
``run(parts=("footage",))`` renders one composition only. Results go to
``benchmarks/results/render.json``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import tempfile
import time
import wave
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _machine import hardware
from PIL import Image, ImageDraw
from rich.console import Console
from rich.table import Table

from laotie.core.aigc import new_label
from laotie.media import FONT_PATH, probe, render_badge, run_ffmpeg
from laotie.studio.render.compose import (
    DEFAULT_MOTIONS,
    Composition,
    Shot,
    _clip_chain,
    _motion_filter,
    render,
    shot_frames,
)
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.subtitles import font_size_px, wrap_cjk
from laotie.studio.render.visuals import MOTION_MARGIN, prepare_still
from laotie.studio.tts import EspeakTts, Narration, synthesize_narration
from laotie.studio.tts.base import Cue

RESULTS = Path(__file__).resolve().parent / "results" / "render.json"
FLOOR_VS_MOVIEPY = 3.0
FLOOR_VS_BARE = 1.3
FOOTAGE_FLOOR_VS_MOVIEPY = 6.0
FOOTAGE_FLOOR_VS_BARE = 1.2
PRESET, CRF, FPS = "veryfast", 23, 30
SENTENCES = (
    "老铁们好，欢迎来到今天的好物分享。",
    "这款苹果产自新疆阿克苏，日照充足，昼夜温差大。",
    "咬一口脆甜多汁，果肉细腻，冰糖心清晰可见。",
    "每一颗都经过人工挑选，个头均匀，表皮光滑。",
    "从果园直接发货，减少中间环节，新鲜看得见。",
    "包装采用加厚泡沫网套，运输途中不怕磕碰。",
    "收到以后如果有坏果，拍照联系客服直接补发。",
    "早上一个苹果，补充维生素，精神一整天。",
    "孩子老人都爱吃，也适合送给亲朋好友。",
    "现在下单还有满减优惠，数量有限，先到先得。",
    "喜欢的老铁记得点赞关注，我们下期再见。",
)


def _images(root: Path, count: int) -> list[Path]:
    """Distinct 1600x1200 photos-like JPEGs: gradients with shapes (not flat colour)."""
    rng = np.random.default_rng(1)
    paths = []
    for i in range(count):
        ramp = np.linspace(0, 1, 1200)[:, None, None]
        top, bottom = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
        base = (top * (1 - ramp) + bottom * ramp).repeat(1600, axis=1)
        noise = rng.normal(0, 12, base.shape)
        image = Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y = rng.integers(0, 1500), rng.integers(0, 1100)
            r = int(rng.integers(40, 220))
            draw.ellipse(
                (x - r, y - r, x + r, y + r), fill=tuple(int(c) for c in rng.integers(0, 255, 3))
            )
        path = root / f"image_{i:02d}.jpg"
        image.save(path, quality=90)
        paths.append(path)
    return paths


def _narration(root: Path, seconds: float) -> Narration:
    """Speak the script (repeated as needed) and pad or cut the track to exactly ``seconds``."""
    sentences: list[str] = []
    while len(sentences) < 4 or len(sentences) * 4.0 < seconds:
        sentences += SENTENCES
    spoken = synthesize_narration(EspeakTts(), sentences, workdir=root / "voice")
    rate = spoken.sample_rate
    with wave.open(str(spoken.path), "rb") as handle:
        pcm = handle.readframes(handle.getnframes())
    target = round(seconds * rate) * 2
    pcm = pcm[:target].ljust(target, b"\x00")
    path = root / "narration_60.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm)
    cues = tuple(
        Cue(c.index, c.start_s, min(c.end_s, seconds), c.text)
        for c in spoken.cues
        if c.start_s < seconds
    )
    return Narration(path, seconds, rate, cues)


def run_laotie(comp: Composition, out: Path, work: Path) -> None:
    """laotie's one-pass render (from the original JPEGs: scaling is part of its work)."""
    render(comp, out=out, workdir=work, preset=PRESET, crf=CRF)


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _audio_args(narration: Narration) -> list[str]:
    return [
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-ar",
        "48000",
        "-ac",
        "2",
        "-t",
        f"{narration.duration_s:.3f}",
    ]


def _video_args() -> list[str]:
    return [
        "-c:v",
        "libx264",
        "-preset",
        PRESET,
        "-crf",
        str(CRF),
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(FPS),
    ]


def run_bare(oversize: list[Path], narration: Narration, video: VideoFormat, out: Path) -> None:
    """The same frames, encoded with nothing else: prepared stills, the same crop pans."""
    frames = shot_frames([1.0] * len(oversize), math.ceil(narration.duration_s * FPS))
    args: list[str] = []
    chains = []
    for index, (path, count) in enumerate(zip(oversize, frames, strict=True)):
        args += ["-i", str(path)]
        motion = _motion_filter(DEFAULT_MOTIONS[index % 4], video, count)
        chains.append(
            f"[{index}:v]format=yuv420p,loop=loop={count - 1}:size=1:start=0,"
            f"setpts=N/{FPS}/TB,{motion}[s{index}]"
        )
    labels = "".join(f"[s{i}]" for i in range(len(oversize)))
    chains.append(f"{labels}concat=n={len(oversize)}:v=1:a=0[v]")
    run_ffmpeg(
        [
            *args,
            "-i",
            str(narration.path),
            "-filter_complex",
            ";".join(chains),
            "-map",
            "[v]",
            "-map",
            f"{len(oversize)}:a",
            *_video_args(),
            *_audio_args(narration),
            str(out),
        ],
        stage="bare encode",
    )


def run_slideshow(exact: list[Path], narration: Narration, out: Path, work: Path) -> None:
    """The stills without motion: concat demuxer, the same voice and encoder settings."""
    frames = shot_frames([1.0] * len(exact), math.ceil(narration.duration_s * FPS))
    lines = ["ffconcat version 1.0"]
    for path, count in zip(exact, frames, strict=True):
        lines += [f"file '{path}'", f"duration {count / FPS:.6f}"]
    lines.append(f"file '{exact[-1]}'")
    listing = work / "slideshow.ffconcat"
    listing.write_text("\n".join(lines) + "\n")
    run_ffmpeg(
        [
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            str(listing),
            "-i",
            str(narration.path),
            *_video_args(),
            *_audio_args(narration),
            str(out),
        ],
        stage="slideshow encode",
    )


def _write_moviepy(
    layers: list[Any],
    narration: Narration,
    video: VideoFormat,
    badge_path: Path,
    badge_xy: tuple[int, int],
    out: Path,
) -> None:
    """Add the captions and the badge over ``layers``, the voice under them, and encode."""
    from moviepy import AudioFileClip, CompositeVideoClip, ImageClip

    layers = [*layers, *_captions(narration, video)]
    layers.append(
        ImageClip(str(badge_path)).with_duration(narration.duration_s).with_position(badge_xy)
    )
    composite = CompositeVideoClip(layers, size=(video.width, video.height))
    composite = composite.with_duration(narration.duration_s).with_audio(
        AudioFileClip(str(narration.path))
    )
    composite.write_videofile(
        str(out),
        fps=FPS,
        codec="libx264",
        preset=PRESET,
        audio_codec="aac",
        audio_bitrate="128k",
        ffmpeg_params=["-crf", str(CRF), "-pix_fmt", "yuv420p"],
        temp_audiofile=str(out.with_name(f"{out.stem}_audio.m4a")),
        logger=None,
    )


def run_moviepy(
    oversize: list[Path],
    narration: Narration,
    video: VideoFormat,
    badge_path: Path,
    badge_xy: tuple[int, int],
    out: Path,
) -> None:
    """moviepy composing and writing the same video."""
    from moviepy import ImageClip

    frames = shot_frames([1.0] * len(oversize), math.ceil(narration.duration_s * FPS))
    layers = []
    at = 0.0
    for index, (path, count) in enumerate(zip(oversize, frames, strict=True)):
        duration = count / FPS
        clip = ImageClip(str(path)).with_start(at).with_duration(duration)
        spare_x, spare_y = clip.w - video.width, clip.h - video.height
        direction = index % 4

        def position(t: float, d=duration, sx=spare_x, sy=spare_y, k=direction):
            share = min(max(t / d, 0.0), 1.0)
            if k == 0:
                return (-sx * share, -sy / 2)
            if k == 1:
                return (-sx / 2, -sy * share)
            if k == 2:
                return (-sx * (1 - share), -sy / 2)
            return (-sx / 2, -sy * (1 - share))

        layers.append(clip.with_position(position))
        at += duration
    _write_moviepy(layers, narration, video, badge_path, badge_xy, out)


def _clips(root: Path, count: int, seconds: float) -> list[Path]:
    """Distinct 1920x1080 30 fps H.264 clips with motion everywhere (ffmpeg's moving test
    sources), ``seconds`` long: footage as a stock site would send it, landscape."""
    sources = (
        "testsrc2=size=1920x1080:rate=30",
        "mandelbrot=size=1920x1080:rate=30",
        "life=size=1920x1080:rate=30:mold=10:ratio=0.3:death_color=#103060:life_color=#f0c040",
        "cellauto=size=1920x1080:rate=30:rule=110",
        "smptehdbars=size=1920x1080:rate=30,hue=H=t",
        "rgbtestsrc=size=1920x1080:rate=30,rotate=a=t/3",
    )
    paths = []
    for index in range(count):
        path = root / f"clip_{index:02d}.mp4"
        run_ffmpeg(
            [
                "-f",
                "lavfi",
                "-i",
                sources[index % len(sources)],
                "-t",
                f"{seconds:.2f}",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-crf",
                "20",
                "-pix_fmt",
                "yuv420p",
                str(path),
            ],
            stage="bench clip",
        )
        paths.append(path)
    return paths


def footage_shots(clips: list[Path], count: int) -> tuple[Shot, ...]:
    """``count`` shots over the clips, each clip entered at a different second."""
    return tuple(
        Shot(clips[i % len(clips)], start_s=float(i // len(clips)) * 2.0) for i in range(count)
    )


def run_bare_footage(
    shots: tuple[Shot, ...], narration: Narration, video: VideoFormat, out: Path
) -> None:
    """The same clip spans trimmed, cropped and scaled the same way, concatenated, with the
    voice: no subtitles, no badge, no metadata."""
    frames = shot_frames([1.0] * len(shots), math.ceil(narration.duration_s * FPS))
    args: list[str] = []
    chains = []
    for index, (shot, count) in enumerate(zip(shots, frames, strict=True)):
        inputs, chain = _clip_chain(index, shot, count, video)
        args += inputs
        chains.append(chain + f"[s{index}]")
    labels = "".join(f"[s{i}]" for i in range(len(shots)))
    chains.append(f"{labels}concat=n={len(shots)}:v=1:a=0[v]")
    run_ffmpeg(
        [
            *args,
            "-i",
            str(narration.path),
            "-filter_complex",
            ";".join(chains),
            "-map",
            "[v]",
            "-map",
            f"{len(shots)}:a",
            *_video_args(),
            *_audio_args(narration),
            str(out),
        ],
        stage="bare footage encode",
    )


def _captions(narration: Narration, video: VideoFormat) -> list[Any]:
    """One moviepy text clip per cue, placed where laotie's subtitles sit."""
    from moviepy import TextClip

    size = font_size_px(video)
    per_row = max(4, int(video.width * 0.86 / size))
    layers = []
    for cue in narration.cues:
        text = "\n".join(wrap_cjk(cue.text.rstrip("。，"), max_chars=per_row))
        caption = TextClip(
            font=str(FONT_PATH),
            text=text,
            font_size=size,
            color="white",
            stroke_color="black",
            stroke_width=max(1, size // 14),
            method="label",
            text_align="center",
        )
        y = round(video.height * 0.78) - caption.h
        layers.append(
            caption.with_start(cue.start_s)
            .with_duration(cue.end_s - cue.start_s)
            .with_position(("center", y))
        )
    return layers


def run_moviepy_footage(
    shots: tuple[Shot, ...],
    narration: Narration,
    video: VideoFormat,
    badge_path: Path,
    badge_xy: tuple[int, int],
    out: Path,
) -> None:
    """moviepy cutting the same spans from the same clips, cropping and resizing them to the
    frame, with the same captions, badge and voice."""
    from moviepy import VideoFileClip
    from moviepy.video.fx import Crop, Resize

    frames = shot_frames([1.0] * len(shots), math.ceil(narration.duration_s * FPS))
    layers = []
    sources = []
    at = 0.0
    for shot, count in zip(shots, frames, strict=True):
        duration = count / FPS
        clip = VideoFileClip(str(shot.source), audio=False)
        sources.append(clip)
        part = clip.subclipped(shot.start_s, min(clip.duration, shot.start_s + duration))
        crop_w = min(part.w, round(part.h * video.width / video.height))
        crop_h = min(part.h, round(part.w * video.height / video.width))
        part = part.with_effects(
            [
                Crop(x_center=part.w / 2, y_center=part.h / 2, width=crop_w, height=crop_h),
                Resize((video.width, video.height)),
            ]
        )
        layers.append(part.with_start(at).with_duration(duration))
        at += duration
    _write_moviepy(layers, narration, video, badge_path, badge_xy, out)
    for clip in sources:
        clip.close()


def _timed(jobs: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, job in jobs.items():
        started, cpu_started = time.perf_counter(), _cpu_s()
        job()
        wall[name] = time.perf_counter() - started
        cpu[name] = _cpu_s() - cpu_started
    return wall, cpu


#: the two compositions: the prefix of their job names and their floors (moviepy x, bare x)
PARTS = {
    "stills": ("", FLOOR_VS_MOVIEPY, FLOOR_VS_BARE),
    "footage": ("footage_", FOOTAGE_FLOOR_VS_MOVIEPY, FOOTAGE_FLOOR_VS_BARE),
}


def _figures(cpu: dict[str, float], wall: dict[str, float], part: str) -> dict[str, Any]:
    prefix, floor_moviepy, floor_bare = PARTS[part]
    vs_moviepy = cpu[f"{prefix}moviepy"] / cpu[f"{prefix}laotie"]
    vs_bare = cpu[f"{prefix}laotie"] / cpu[f"{prefix}bare"]
    return {
        "speedup_vs_moviepy_cpu": round(vs_moviepy, 2),
        "vs_bare_cpu": round(vs_bare, 3),
        "speedup_vs_moviepy_wall": round(wall[f"{prefix}moviepy"] / wall[f"{prefix}laotie"], 2),
        "vs_bare_wall": round(wall[f"{prefix}laotie"] / wall[f"{prefix}bare"], 3),
        "floors": {"speedup_vs_moviepy": floor_moviepy, "vs_bare": floor_bare},
        "floors_met": vs_moviepy >= floor_moviepy and vs_bare <= floor_bare,
    }


def run(quick: bool = False, parts: tuple[str, ...] = tuple(PARTS)) -> dict[str, Any]:
    """Render the stills video and the footage video each way (``parts`` picks which), print
    a table, write the JSON result."""
    video = VideoFormat(540, 960, FPS) if quick else VideoFormat(1080, 1920, FPS)
    seconds, count = (12.0, 4) if quick else (60.0, 12)
    console = Console()
    with tempfile.TemporaryDirectory(prefix="laotie-bench-render-") as tmp:
        root = Path(tmp)
        images = _images(root, count)
        narration = _narration(root, seconds)
        prep = root / "prep"
        prep.mkdir()
        oversize = [
            prepare_still(p, video, out=prep / f"over_{i:02d}.png", margin=MOTION_MARGIN)
            for i, p in enumerate(images)
        ]
        exact = [
            prepare_still(p, video, out=prep / f"exact_{i:02d}.png", margin=0.0)
            for i, p in enumerate(images)
        ]
        badge = render_badge(video.width, video.height, out=prep / "badge.png")
        label = new_label()
        comp = Composition(
            video=video, shots=tuple(Shot(p) for p in images), narration=narration, label=label
        )
        clips = _clips(root, max(2, count // 2), seconds / count * 2 + 8)
        shots = footage_shots(clips, count)
        footage = Composition(video=video, shots=shots, narration=narration, label=label)
        jobs = {
            "slideshow": lambda: run_slideshow(exact, narration, root / "slideshow.mp4", root),
            "bare": lambda: run_bare(oversize, narration, video, root / "bare.mp4"),
            "laotie": lambda: run_laotie(comp, root / "laotie.mp4", root / "work"),
            "moviepy": lambda: run_moviepy(
                oversize, narration, video, badge.path, (badge.x, badge.y), root / "moviepy.mp4"
            ),
            "footage_bare": lambda: run_bare_footage(
                shots, narration, video, root / "footage_bare.mp4"
            ),
            "footage_laotie": lambda: run_laotie(
                footage, root / "footage_laotie.mp4", root / "work_footage"
            ),
            "footage_moviepy": lambda: run_moviepy_footage(
                shots,
                narration,
                video,
                badge.path,
                (badge.x, badge.y),
                root / "footage_moviepy.mp4",
            ),
        }
        wanted = {
            k: v
            for k, v in jobs.items()
            if ("footage" if k.startswith("footage_") else "stills") in parts
        }
        wall, cpu = _timed(wanted)
        durations = {k: probe(root / f"{k}.mp4").duration_s for k in wanted}
        load = os.getloadavg()[0]
    result: dict[str, Any] = {
        "area": "render",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "hardware": hardware(),
        "load_average_1m": round(load, 1),
        "python": platform.python_version(),
        "video": f"{video.size} @ {FPS} fps, {seconds:.0f} s, {count} images / {count} clip spans",
        "encoder": f"libx264 {PRESET} crf {CRF} + aac 128k",
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "wall_s": {k: round(v, 2) for k, v in wall.items()},
        "output_duration_s": {k: round(v, 2) for k, v in durations.items()},
        "quick": quick,
    }
    for part in parts:
        result[part] = _figures(cpu, wall, part)
    table = Table(title=f"render: {result['video']}")
    for column in ("renderer", "CPU s", "wall s", "ratio (CPU)"):
        table.add_column(column)
    for name in wanted:
        prefix = "footage_" if name.startswith("footage_") else ""
        ratio = {
            "slideshow": "no motion (context)",
            f"{prefix}bare": "1.00 (floor)",
            f"{prefix}laotie": f"{cpu[name] / cpu[prefix + 'bare']:.2f} x {prefix}bare",
            f"{prefix}moviepy": f"{cpu[name] / cpu[prefix + 'laotie']:.2f} x {prefix}laotie",
        }[name]
        table.add_row(name, f"{cpu[name]:.1f}", f"{wall[name]:.1f}", ratio)
    console.print(table)
    for part in parts:
        floors = result[part]["floors"]
        console.print(
            f"{part}: floors met {result[part]['floors_met']} "
            f"(>= {floors['speedup_vs_moviepy']}x moviepy, <= {floors['vs_bare']}x bare, CPU s)"
        )
    console.print(f"load {load:.1f}  [{result['hardware']}]")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return result
