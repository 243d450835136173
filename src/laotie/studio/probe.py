"""A small ffprobe replacement: stream facts and metadata parsed from ffmpeg's own output."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from laotie.core.errors import MediaError
from laotie.studio.ffmpeg import ffmpeg_exe, run_ffmpeg

_DURATION = re.compile(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)")
_VIDEO = re.compile(r"Stream #\S+.*?: Video: (\w+).*?, (\d{2,5})x(\d{2,5})[\s,\[]")
_AUDIO = re.compile(r"Stream #\S+.*?: Audio: (\w+).*?, (\d+) Hz")
_FPS = re.compile(r", (\d+(?:\.\d+)?) fps")


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


def _ffmpeg_banner(path: Path) -> str:
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.stderr.decode("utf-8", "replace")


def read_metadata(path: Path) -> dict[str, str]:
    """The container's global metadata tags (ffmetadata dump, escapes undone)."""
    done = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-f", "ffmetadata", "-"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        raise MediaError(f"cannot read metadata of {path}", input=str(path))
    tags: dict[str, str] = {}
    text = done.stdout.decode("utf-8", "replace")
    # ffmetadata escapes '=', ';', '#', '\' and newline with a backslash
    logical: list[str] = []
    pending = ""
    for line in text.split("\n"):
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending += line[:-1] + "\n"
            continue
        logical.append(pending + line)
        pending = ""
    for line in logical:
        if line.startswith("[") and line.strip().endswith("]"):
            break  # stream/chapter sections follow the global ones
        if not line or line.startswith(";") or "=" not in line:
            continue
        key, value = _split_unescaped(line)
        tags[key] = value
    return tags


def _split_unescaped(line: str) -> tuple[str, str]:
    out: list[str] = []
    key: str | None = None
    chars = iter(line)
    for char in chars:
        if char == "\\":
            out.append(next(chars, ""))
        elif char == "=" and key is None:
            key, out = "".join(out), []
        else:
            out.append(char)
    return key or "", "".join(out)


def probe(path: Path | str) -> MediaInfo:
    """Duration, size, frame rate, codecs and global tags of a media file."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"media file not found: {path}", input=str(path))
    banner = _ffmpeg_banner(path)
    if "Invalid data found" in banner or "Input #0" not in banner:
        raise MediaError(f"not a readable media file: {path}", input=str(path))
    duration = _DURATION.search(banner)
    seconds = 0.0
    if duration:
        hours, minutes, secs = duration.groups()
        seconds = int(hours) * 3600 + int(minutes) * 60 + float(secs)
    video = _VIDEO.search(banner)
    audio = _AUDIO.search(banner)
    fps = _FPS.search(video.string[video.start() :]) if video else None
    return MediaInfo(
        path=path,
        duration_s=seconds,
        width=int(video.group(2)) if video else 0,
        height=int(video.group(3)) if video else 0,
        fps=float(fps.group(1)) if fps else 0.0,
        video_codec=video.group(1) if video else "",
        audio_codec=audio.group(1) if audio else "",
        sample_rate=int(audio.group(2)) if audio else 0,
        metadata=read_metadata(path),
    )


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
