"""What a media file holds, read through FFmpeg's own libraries (PyAV), not its log text.

imageio-ffmpeg ships an ffmpeg binary but no ffprobe, and ffmpeg's human-readable stderr is
not an interface (its wording and layout change between releases). PyAV opens the container
with libavformat and hands back typed fields: duration, streams, codec names, frame rate,
sample rate and the global metadata tags (including custom MP4 tags such as ``AIGC``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from laotie.core.errors import MediaError
from laotie.media.ffmpeg import ffmpeg_output, run_ffmpeg


@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds; durations in seconds."""

    path: Path
    duration_s: float
    width: int = 0
    height: int = 0
    fps: float = 0.0
    video_codec: str = ""
    audio_codec: str = ""
    sample_rate: int = 0
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def has_video(self) -> bool:
        """True when the file has a video stream."""
        return bool(self.video_codec)

    @property
    def has_audio(self) -> bool:
        """True when the file has an audio stream."""
        return bool(self.audio_codec)


def _open(path: Path) -> Any:
    if not path.is_file():
        raise MediaError(f"media file not found: {path}", input=str(path))
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"not a readable media file: {path} ({exc})", input=str(path)) from exc


def _duration_s(container: Any) -> float:
    if container.duration is not None:
        return float(container.duration) / av.time_base
    seconds = [
        float(s.duration * s.time_base)
        for s in container.streams
        if s.duration is not None and s.time_base is not None
    ]
    return max(seconds, default=0.0)


def _rate(value: Fraction | None) -> float:
    return float(value) if value else 0.0


def probe(path: Path | str) -> MediaInfo:
    """Duration, size, frame rate, codecs and global tags of a media file."""
    path = Path(path)
    with _open(path) as container:
        video = next(iter(container.streams.video), None)
        audio = next(iter(container.streams.audio), None)
        return MediaInfo(
            path=path,
            duration_s=_duration_s(container),
            width=video.codec_context.width if video else 0,
            height=video.codec_context.height if video else 0,
            fps=_rate(video.average_rate or video.guessed_rate) if video else 0.0,
            video_codec=video.codec_context.name if video else "",
            audio_codec=audio.codec_context.name if audio else "",
            sample_rate=audio.codec_context.sample_rate if audio else 0,
            metadata=dict(container.metadata),
        )


def read_metadata(path: Path | str) -> dict[str, str]:
    """The container's global metadata tags (e.g. an MP4's ``AIGC`` tag)."""
    path = Path(path)
    with _open(path) as container:
        return dict(container.metadata)


def extract_frame(path: Path | str, *, at_s: float, out: Path | str) -> Path:
    """Write the frame shown at ``at_s`` seconds as a PNG and return its path."""
    out = Path(out)
    run_ffmpeg(
        ["-ss", f"{at_s:.3f}", "-i", str(path), "-frames:v", "1", "-update", "1", str(out)],
        stage="extract frame",
        input_name=str(path),
    )
    if not out.is_file():
        raise MediaError(f"no frame at {at_s:.2f} s in {path}", input=str(path))
    return out


def frame_png(path: Path | str, *, at_s: float) -> bytes:
    """The frame shown at ``at_s`` seconds as PNG bytes (empty when the video is shorter)."""
    return ffmpeg_output(
        ["-ss", f"{at_s}", "-i", str(path), "-frames:v", "1", "-f", "image2pipe",
         "-vcodec", "png", "-"],
        stage="read frame",
        input_name=str(path),
    )  # fmt: skip


def grey_frames(path: Path | str, *, side: int, per_second: float, max_frames: int) -> bytes:
    """Raw 8-bit grey frames, ``side`` x ``side`` each, sampled ``per_second`` times a second."""
    return ffmpeg_output(
        ["-i", str(path), "-vf", f"fps={per_second},scale={side}:{side}:flags=area",
         "-frames:v", str(max_frames), "-pix_fmt", "gray", "-f", "rawvideo", "-"],
        stage="read frames",
        input_name=str(path),
    )  # fmt: skip
