"""Probing real files made by the real ffmpeg: typed fields from PyAV, labels on MP4s, frames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from laotie.core.aigc import METADATA_FIELD, new_label
from laotie.core.errors import MediaError
from laotie.core.settings import get_settings
from laotie.media import (
    ffmpeg_exe,
    frame_png,
    grey_frames,
    mp4_label_args,
    probe,
    read_label,
    read_metadata,
    run_ffmpeg,
    write_file_label,
)


def _clip(out: Path, *, extra: list[str] | None = None, seconds: float = 2.0) -> Path:
    """A 320x240 25 fps H.264 clip with a 44.1 kHz AAC tone, written by ffmpeg."""
    run_ffmpeg(
        ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi",
         "-i", "sine=frequency=440:sample_rate=44100", "-t", str(seconds), "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-c:a", "aac", *(extra or []), str(out)],
        stage="test clip",
    )  # fmt: skip
    return out


def test_probe_reads_streams_duration_and_tags(tmp_path: Path) -> None:
    label = new_label(producer="老铁 = studio; #1")  # characters ffmetadata would escape
    clip = _clip(tmp_path / "a.mp4", extra=mp4_label_args(label))
    info = probe(clip)
    assert (info.width, info.height, info.fps) == (320, 240, 25.0)
    assert (info.video_codec, info.audio_codec, info.sample_rate) == ("h264", "aac", 44_100)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert json.loads(info.metadata[METADATA_FIELD]) == label.to_dict()
    assert read_metadata(clip) == info.metadata
    assert read_label(clip).label == label


def test_audio_only_file_has_no_video(tmp_path: Path) -> None:
    out = tmp_path / "tone.m4a"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=sample_rate=22050", "-t", "1", str(out)], stage="tone")
    info = probe(out)
    assert info.has_audio and not info.has_video
    assert (info.width, info.sample_rate) == (0, 22_050)


def test_label_written_into_an_existing_mp4_keeps_its_streams(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "b.mp4")
    before = probe(clip)
    label = new_label()
    write_file_label(clip, label)
    after = probe(clip)
    assert read_label(clip).label == label
    assert (after.width, after.video_codec, after.audio_codec) == (320, "h264", "aac")
    assert after.duration_s == pytest.approx(before.duration_s, abs=0.05)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_frames_come_back_as_png_and_raw_grey(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "c.mp4")
    png = tmp_path / "f.png"
    png.write_bytes(frame_png(clip, at_s=0.5))
    assert Image.open(png).size == (320, 240)
    assert frame_png(clip, at_s=30.0) == b""  # past the end: no frame, no error
    raw = grey_frames(clip, side=32, per_second=1, max_frames=5)
    assert len(raw) % (32 * 32) == 0 and len(raw) // (32 * 32) in {2, 3}


def test_unreadable_and_missing_files_are_media_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 10)
    with pytest.raises(MediaError, match="not a readable media file"):
        probe(junk)
    with pytest.raises(MediaError, match="not found"):
        read_metadata(tmp_path / "missing.mp4")
    with pytest.raises(MediaError, match="read frame failed"):
        frame_png(junk, at_s=0.5)


def test_the_ffmpeg_setting_picks_the_binary(tmp_path: Path, monkeypatch) -> None:
    bundled = ffmpeg_exe()
    assert Path(bundled).is_file()
    monkeypatch.setenv("LAOTIE_FFMPEG", str(tmp_path / "no-such-ffmpeg"))
    get_settings.cache_clear()
    try:
        assert ffmpeg_exe() == str(tmp_path / "no-such-ffmpeg")
        with pytest.raises(MediaError, match="cannot start ffmpeg"):
            run_ffmpeg(["-version"], stage="version")
    finally:
        monkeypatch.delenv("LAOTIE_FFMPEG")
        get_settings.cache_clear()
    assert ffmpeg_exe() == bundled
