"""Subtitle style and safe area: never over the platform's UI zones or a presenter's face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput
from laotie.studio.render import extract_frame, probe
from laotie.studio.render.compose import Composition, Shot, render
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.layout import Box, SafeArea, SubtitleStyle, subtitle_band, ui_zones
from laotie.studio.tts import EspeakTts, synthesize_narration

FRAMES = [
    VideoFormat(1080, 1920),
    VideoFormat(1920, 1080),
    VideoFormat(1080, 1080),
    VideoFormat(360, 640),
]


@pytest.mark.parametrize("video", FRAMES, ids=lambda v: v.size)
@pytest.mark.parametrize("position", ["bottom", "middle", "top"])
def test_the_band_stays_out_of_every_ui_zone(video: VideoFormat, position: str) -> None:
    style = SubtitleStyle(position=position)  # type: ignore[arg-type]
    band = subtitle_band(video, style=style, font_px=round(0.075 * video.shortest_side))
    assert (
        0 <= band.left < band.right <= video.width and 0 <= band.top < band.bottom <= video.height
    )
    assert not any(band.overlaps(zone) for zone in ui_zones(video))


def test_a_face_in_the_way_moves_the_subtitles_to_the_nearest_clear_place() -> None:
    video = VideoFormat(1080, 1920)
    plain = subtitle_band(video, style=SubtitleStyle(), font_px=81)
    face = Box(300, plain.top - 100, 800, plain.bottom + 50)
    moved = subtitle_band(video, style=SubtitleStyle(), font_px=81, safe=SafeArea(avoid=(face,)))
    assert plain.overlaps(face) and not moved.overlaps(face)
    assert moved.bottom <= face.top  # above the face: below it is the caption zone
    assert not any(moved.overlaps(zone) for zone in ui_zones(video))


def test_bad_styles_name_the_field() -> None:
    with pytest.raises(InvalidInput) as colour:
        SubtitleStyle(colour="white")
    assert colour.value.field == "colour"
    with pytest.raises(InvalidInput) as size:
        SubtitleStyle(size_ratio=0.5)
    assert size.value.field == "font_size"
    with pytest.raises(InvalidInput) as font:
        SubtitleStyle(font="x}{\\an8")
    assert font.value.field == "font"
    with pytest.raises(InvalidInput, match="no room"):
        subtitle_band(
            VideoFormat(360, 640),
            style=SubtitleStyle(),
            font_px=27,
            safe=SafeArea(zones=(Box(0, 0, 360, 640),)),
        )


def test_rendered_subtitles_are_where_the_band_says_in_the_colour_asked(tmp_path: Path) -> None:
    video = VideoFormat(360, 640)
    grey = tmp_path / "grey.png"
    Image.new("RGB", (400, 700), (90, 90, 90)).save(grey)
    narration = synthesize_narration(EspeakTts(), ["老铁们好今天吃苹果吧"], workdir=tmp_path / "v")
    style = SubtitleStyle(colour="#FFE000", outline_colour="#000000", position="top")
    out = tmp_path / "styled.mp4"
    render(
        Composition(
            video=video,
            shots=(Shot(grey, motion="still"),),
            narration=narration,
            label=new_label(),
            style=style,
        ),
        out=out,
        workdir=tmp_path / "w",
    )
    frame = np.asarray(
        Image.open(extract_frame(out, at_s=1.0, out=tmp_path / "f.png")).convert("RGB"),
        dtype=np.int16,
    )
    yellow = (frame[:, :, 0] > 200) & (frame[:, :, 1] > 180) & (frame[:, :, 2] < 90)
    rows = np.nonzero(yellow.any(axis=1))[0]
    band = subtitle_band(video, style=style, font_px=27)
    assert rows.size > 0, "no yellow subtitle pixels"
    assert band.top <= rows.min() and rows.max() <= band.bottom
    for zone in ui_zones(video):
        assert not yellow[zone.top : zone.bottom, zone.left : zone.right].any()
    assert probe(out).width == 360
