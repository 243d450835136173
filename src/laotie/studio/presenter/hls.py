"""The AI host's live stream: the presenter reading a product script, looped as HLS.

One pass of the script is rendered once (the presenter with the visible "AI生成" notice on
every frame) and cut by ffmpeg into MPEG-TS segments whose Service Description Table carries
the implicit GB 45438 label (``service_name`` = the ``{"AIGC": {...}}`` JSON, provider = the
label's producer), so every segment a player fetches is labelled. The live playlist is not a
file: ``live_playlist`` computes it from the clock, cycling through the segments with an
``EXT-X-DISCONTINUITY`` at each loop, and states the label in an ``EXT-X-DATERANGE`` tag whose
client attribute ``X-AIGC`` is the label JSON as a hexadecimal sequence (RFC 8216 4.3.2.7).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from laotie.core.aigc import AigcLabel, new_label
from laotie.core.errors import InvalidInput, MediaError, NotFound
from laotie.media import run_ffmpeg
from laotie.studio.presenter.present import PresenterOptions, present
from laotie.studio.render.narrate import Progress, _quiet
from laotie.studio.render.script import NarrationScript
from laotie.studio.tts.base import TtsEngine

#: the manifest written beside the segments
MANIFEST = "stream.json"
#: the EXT-X-DATERANGE class of the label
LABEL_CLASS = "cn.gb45438.aigc"
#: segments a live playlist lists (RFC 8216 asks a live playlist for >= 3 target durations)
LIVE_WINDOW = 5
_SEGMENT_NAME = re.compile(r"seg_\d{5}\.ts")
#: an SDT service name is one length byte long (EN 300 468), less the UTF-8 selector
MAX_LABEL_BYTES = 254
_TS_PACKET = 188
_SDT_PID = 0x11
_SERVICE_DESCRIPTOR = 0x48


@dataclass(frozen=True)
class Segment:
    """One MPEG-TS segment of the loop: its file name and duration in seconds."""

    name: str
    duration_s: float


@dataclass(frozen=True)
class HlsStream:
    """A rendered loop: the folder, its segments in order, and the label every one carries."""

    directory: Path
    segments: tuple[Segment, ...]
    label: AigcLabel

    @property
    def loop_s(self) -> float:
        """Length of one pass of the script, seconds."""
        return sum(s.duration_s for s in self.segments)

    @property
    def target_duration_s(self) -> int:
        """EXT-X-TARGETDURATION: the longest segment rounded up (RFC 8216 4.3.3.1)."""
        return max(1, max(round(s.duration_s + 0.4999) for s in self.segments))

    def segment_path(self, name: str) -> Path:
        """The file of segment ``name``; ``NotFound`` for any name not in the loop."""
        if not _SEGMENT_NAME.fullmatch(name) or name not in {s.name for s in self.segments}:
            raise NotFound(f"no segment {name!r} in this stream", field="segment")
        return self.directory / name


def host_stream(
    script: NarrationScript,
    *,
    out_dir: Path,
    engine: TtsEngine,
    options: PresenterOptions,
    label: AigcLabel | None = None,
    segment_s: float = 2.0,
    progress: Progress = _quiet,
) -> HlsStream:
    """Render ``script`` read by the presenter and cut it into labelled HLS segments in
    ``out_dir`` (replacing a previous loop there only once the new one is complete)."""
    if not 1.0 <= segment_s <= 10.0:
        raise InvalidInput("segment length must be 1-10 s", field="segment_s", limit="1-10")
    label = label or new_label(producer=options.producer)
    if len(label.to_json().encode("utf-8")) > MAX_LABEL_BYTES:
        raise InvalidInput(
            "the AIGC label is too long for an MPEG-TS service name",
            field="label",
            limit=f"{MAX_LABEL_BYTES} bytes of JSON",
        )
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".host_", dir=out_dir.parent))
    try:
        rendered = present(
            script,
            out=scratch / "host.mp4",
            engine=engine,
            options=options,
            label=label,
            workdir=scratch / "work",
            progress=lambda f, m: progress(f * 0.8, m),
        )
        progress(0.85, "cutting HLS segments")
        staged = scratch / "hls"
        staged.mkdir()
        run_ffmpeg(
            _segment_args(rendered.path, label, segment_s=segment_s, fps=options.video.fps),
            stage="hls",
            input_name=str(rendered.path),
            cwd=staged,
        )
        segments = _read_vod_playlist(staged / "vod.m3u8")
        (staged / "vod.m3u8").unlink()
        stream = HlsStream(out_dir, segments, label)
        (staged / MANIFEST).write_text(_manifest(stream), encoding="utf-8")
        _swap_in(staged, out_dir, scratch)
        progress(1.0, "done")
        return stream
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _segment_args(source: Path, label: AigcLabel, *, segment_s: float, fps: int) -> list[str]:
    """Re-encode with a keyframe at every segment boundary; the label goes to each segment's
    SDT (the hls muxer hands its metadata to every MPEG-TS segment it opens)."""
    return [
        "-i",
        str(source),
        "-map",
        "0:v:0",
        "-map",
        "0:a:0",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-r",
        str(fps),
        "-force_key_frames",
        f"expr:gte(t,n_forced*{segment_s:g})",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
        "-metadata",
        f"service_provider={label.ContentProducer}",
        "-metadata",
        f"service_name={label.to_json()}",
        "-f",
        "hls",
        "-hls_time",
        f"{segment_s:g}",
        "-hls_playlist_type",
        "vod",
        "-hls_segment_filename",
        "seg_%05d.ts",
        "vod.m3u8",
    ]


def _read_vod_playlist(path: Path) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    duration: float | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",", 1)[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append(Segment(line.strip(), duration))
            duration = None
    if not segments:
        raise MediaError(f"ffmpeg wrote no HLS segments to {path.parent}", input=str(path))
    return tuple(segments)


def _manifest(stream: HlsStream) -> str:
    return json.dumps(
        {
            "segments": [[s.name, s.duration_s] for s in stream.segments],
            "label": stream.label.to_dict(),
        },
        ensure_ascii=False,
    )


def _swap_in(staged: Path, out_dir: Path, scratch: Path) -> None:
    """Put the complete new loop at ``out_dir``; the old one (if any) is moved aside first."""
    if out_dir.exists():
        os.replace(out_dir, scratch / "previous")
    os.replace(staged, out_dir)


def load_stream(directory: Path) -> HlsStream:
    """The loop rendered into ``directory``; ``NotFound`` when none was."""
    directory = Path(directory)
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise NotFound(
            "no AI-host stream has been rendered for this room", field="stream"
        ) from None
    except (OSError, ValueError) as exc:
        raise MediaError(f"unreadable stream manifest in {directory}: {exc}") from exc
    segments = tuple(Segment(str(name), float(seconds)) for name, seconds in data["segments"])
    return HlsStream(directory, segments, AigcLabel.from_dict(data["label"]))


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def _timeline(stream: HlsStream, *, elapsed_ms: int) -> Iterator[tuple[int, int, Segment]]:
    """(sequence number, start ms since the stream began, segment) of every segment begun by
    ``elapsed_ms``, newest first."""
    count = len(stream.segments)
    loop_ms = max(1, round(stream.loop_s * 1000))
    loops, into = divmod(max(0, elapsed_ms), loop_ms)
    starts, at = [], 0
    for segment in stream.segments:
        starts.append(at)
        at += round(segment.duration_s * 1000)
    index = max(i for i, start in enumerate(starts) if start <= into)
    sequence = loops * count + index
    while sequence >= 0:
        loop, position = divmod(sequence, count)
        yield sequence, loop * loop_ms + starts[position], stream.segments[position]
        sequence -= 1


def live_playlist(
    stream: HlsStream,
    *,
    started_ms: int,
    now_ms: int,
    ended: bool = False,
    window: int = LIVE_WINDOW,
) -> str:
    """The live media playlist at ``now_ms`` of a loop that began at ``started_ms``: the last
    ``window`` segments begun, a discontinuity where the loop restarts, the label tag, and
    ``EXT-X-ENDLIST`` once the room has ended."""
    recent = []
    for entry in _timeline(stream, elapsed_ms=now_ms - started_ms):
        recent.append(entry)
        if len(recent) == window:
            break
    recent.reverse()
    count = len(stream.segments)
    first = recent[0][0]
    label_hex = stream.label.to_json().encode("utf-8").hex().upper()
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:3",
        f"#EXT-X-TARGETDURATION:{stream.target_duration_s}",
        f"#EXT-X-MEDIA-SEQUENCE:{first}",
        f"#EXT-X-DISCONTINUITY-SEQUENCE:{first // count}",
        f'#EXT-X-DATERANGE:ID="{stream.label.ProduceID}",CLASS="{LABEL_CLASS}",'
        f'START-DATE="{_iso(started_ms)}",X-AIGC=0x{label_hex}',
    ]
    for sequence, start_ms, segment in recent:
        if sequence != first and sequence % count == 0:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [
            f"#EXT-X-PROGRAM-DATE-TIME:{_iso(started_ms + start_ms)}",
            f"#EXTINF:{segment.duration_s:.3f},",
            segment.name,
        ]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def playlist_label(text: str) -> AigcLabel | None:
    """The label an HLS playlist states in its ``X-AIGC`` DATERANGE attribute, if any."""
    found = re.search(r"#EXT-X-DATERANGE:.*X-AIGC=0x([0-9A-Fa-f]+)", text)
    if found is None:
        return None
    try:
        return AigcLabel.from_json(bytes.fromhex(found.group(1)))
    except (ValueError, InvalidInput):
        return None


def _dvb_text(raw: bytes) -> str:
    """A DVB string (EN 300 468 annex A): a leading byte below 0x20 names its character set;
    ffmpeg writes 0x15 (UTF-8) for non-ASCII text and plain ASCII otherwise."""
    if raw[:1] == b"\x15":
        raw = raw[1:]
    return raw.decode("utf-8", "replace")


def read_segment_label(path: Path) -> AigcLabel | None:
    """The label in an MPEG-TS segment's Service Description Table (the service name), read
    from the transport packets themselves; None when the segment carries none."""
    data = Path(path).read_bytes()
    section = bytearray()
    for offset in range(0, len(data) - _TS_PACKET + 1, _TS_PACKET):
        packet = data[offset : offset + _TS_PACKET]
        if packet[0] != 0x47 or ((packet[1] & 0x1F) << 8 | packet[2]) != _SDT_PID:
            continue
        start = 4
        if packet[3] & 0x20:  # adaptation field present
            start += 1 + packet[4]
        if packet[1] & 0x40:  # a section starts here: skip the pointer field
            section = bytearray(packet[start + 1 + packet[start] :])
        elif section:
            section += packet[start:]
        if len(section) >= 3 and len(section) >= 3 + ((section[1] & 0x0F) << 8 | section[2]):
            break
    if len(section) < 11 or section[0] != 0x42:
        return None
    end = 3 + ((section[1] & 0x0F) << 8 | section[2]) - 4  # the CRC closes the section
    at = 11
    while at + 5 <= end:
        loop_length = (section[at + 3] & 0x0F) << 8 | section[at + 4]
        descriptor, stop = at + 5, at + 5 + loop_length
        while descriptor + 2 <= stop:
            tag, length = section[descriptor], section[descriptor + 1]
            body = section[descriptor + 2 : descriptor + 2 + length]
            if tag == _SERVICE_DESCRIPTOR and len(body) >= 2:
                provider_length = body[1]
                name_at = 2 + provider_length
                name = _dvb_text(bytes(body[name_at + 1 : name_at + 1 + body[name_at]]))
                try:
                    return AigcLabel.from_json(name)
                except InvalidInput:
                    return None
            descriptor += 2 + length
        at = stop
    return None
