"""Narrated video renders: real ffmpeg output checked with the probe and by its pixels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput, MediaError
from laotie.media import MIN_TEXT_HEIGHT_RATIO, notice_text_height, read_label
from laotie.studio.render import (
    NarrateOptions,
    NarrationScript,
    extract_frame,
    load_script,
    narrate,
    narrate_audio,
    parse_format,
    probe,
    script_from_text,
)
from laotie.studio.render.compose import shot_frames
from laotie.studio.tts import EspeakTts

GREEN = (20, 200, 40)
SMALL = "360x640"


def _script(text: str = "老铁们好。今天吃苹果。") -> NarrationScript:
    return script_from_text(text, max_chars=500)


def test_narrated_video_is_labelled_and_timed_to_the_voice(tmp_path: Path, media) -> None:
    images = (
        media.solid_image(tmp_path / "a.jpg", GREEN, (800, 600)),
        media.solid_image(tmp_path / "b.png", GREEN, (300, 500)),
    )
    music = media.tone_wav(tmp_path / "music.wav", seconds=1.0, hz=220)
    label = new_label(producer="测试工作室")
    out = tmp_path / "out" / "video.mp4"
    result = narrate(
        _script(),
        out=out,
        engine=EspeakTts(),
        options=NarrateOptions(video=parse_format(SMALL), images=images, music=music),
        label=label,
        workdir=tmp_path / "work",
    )
    info = probe(out)
    assert (info.width, info.height) == (360, 640)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.duration_s == pytest.approx(result.duration_s, abs=0.1)
    assert read_label(out).label == label
    assert result.srt_path.read_text(encoding="utf-8").startswith("1\n00:00:00,150 --> ")
    assert sorted(p.name for p in out.parent.iterdir()) == ["video.mp4", "video.srt"]

    frame = extract_frame(out, at_s=1.0, out=tmp_path / "frame.png")
    # the badge sits top-left: white glyphs on a dark box, at least 5% of the shortest side tall
    text_rows = media.white_rows(frame, (0, 0, 180, 90))
    assert text_rows >= MIN_TEXT_HEIGHT_RATIO * 360
    assert text_rows <= notice_text_height(360, 640) + 4
    assert media.mean_colour(frame, (10, 10, 100, 40)).sum() < sum(GREEN) * 0.8
    # away from the badge and the subtitles the picture is the (green) image
    middle = media.mean_colour(frame, (100, 250, 260, 350))
    assert middle[1] > 150 and middle[0] < 80
    # the burnt-in subtitle puts white pixels in the lower part of the frame
    assert media.white_rows(frame, (0, 420, 360, 600)) > 8


def test_episode_script_json_with_title_cards(tmp_path: Path) -> None:
    episode = {
        "episode": 2,
        "title": "回家",
        "scenes": [
            {
                "number": 1,
                "interior": "外",
                "time": "日",
                "place": "村口",
                "lines": [{"kind": "action", "text": "他回来了。"}],
            },
            {
                "number": 2,
                "interior": "内",
                "time": "夜",
                "place": "老屋",
                "lines": [{"kind": "dialogue", "speaker": "娘", "text": "吃饭吧。"}],
            },
        ],
        "duration_s": 3.0,
    }
    source = tmp_path / "ep.json"
    source.write_text(json.dumps({"scripts": [episode]}, ensure_ascii=False), encoding="utf-8")
    script = load_script(source, max_chars=1000)
    assert script.title == "第2集 回家"
    assert [s.heading for s in script.scenes] == ["外 日 村口", "内 夜 老屋"]
    out = narrate(
        script,
        out=tmp_path / "ep.mp4",
        engine=EspeakTts(),
        options=NarrateOptions(video=parse_format("480x270")),
    ).path
    info = probe(out)
    assert (info.width, info.height) == (480, 270)
    assert info.has_audio


def test_audio_only_output_starts_with_a_spoken_notice(tmp_path: Path) -> None:
    out = narrate_audio(_script("只有声音。"), out=tmp_path / "voice.m4a", engine=EspeakTts())
    info = probe(out)
    assert info.has_audio and not info.has_video
    assert read_label(out).label is not None
    assert (
        out.with_suffix(".srt")
        .read_text(encoding="utf-8")
        .splitlines()[2]
        .startswith("本内容由人工智能生成")
    )


def test_bad_inputs_name_the_input_and_leave_nothing_behind(tmp_path: Path, media) -> None:
    video = parse_format(SMALL)
    out = tmp_path / "out" / "bad.mp4"
    with pytest.raises(InvalidInput) as missing:
        narrate(
            _script(),
            out=out,
            engine=EspeakTts(),
            options=NarrateOptions(video=video, images=(tmp_path / "nope.jpg",)),
        )
    assert "nope.jpg" in str(missing.value)
    fake = tmp_path / "fake.png"
    fake.write_text("not an image")
    with pytest.raises(InvalidInput) as unsupported:
        narrate(
            _script(),
            out=out,
            engine=EspeakTts(),
            options=NarrateOptions(video=video, images=(fake,)),
        )
    assert unsupported.value.field == "images"
    broken_music = tmp_path / "music.mp3"
    broken_music.write_bytes(b"\x00" * 64)
    image = media.solid_image(tmp_path / "ok.png", GREEN)
    with pytest.raises(MediaError):
        narrate(
            _script(),
            out=out,
            engine=EspeakTts(),
            options=NarrateOptions(video=video, images=(image,), music=broken_music),
        )
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    with pytest.raises(InvalidInput):
        script_from_text("  \n ", max_chars=100)
    with pytest.raises(InvalidInput) as too_long:
        script_from_text("字" * 101, max_chars=100)
    assert too_long.value.limit == 100


def test_formats_and_frame_split() -> None:
    assert parse_format("vertical").size == "1080x1920"
    assert parse_format("vertical-720").size == "720x1280"
    assert parse_format("landscape").size == "1920x1080"
    assert parse_format("square").size == "1080x1080"
    for bad in ("123x640", "huge", "10000x10000"):
        with pytest.raises(InvalidInput):
            parse_format(bad)
    assert shot_frames([1, 1, 2], 100) == [25, 25, 50]
    assert sum(shot_frames([0.3, 0.3, 0.4], 91)) == 91


def test_only_upright_jpeg_and_png_skip_the_pillow_step(tmp_path: Path, media) -> None:
    from PIL import Image

    from laotie.studio.render.visuals import needs_preparing, prepare_still

    assert not needs_preparing(media.solid_image(tmp_path / "a.png", GREEN))
    assert not needs_preparing(media.solid_image(tmp_path / "a.jpg", GREEN))
    assert needs_preparing(media.solid_image(tmp_path / "a.webp", GREEN))
    exif = Image.Exif()
    exif[0x0112] = 6  # shot with the camera turned: must be rotated upright first
    rotated = tmp_path / "r.jpg"
    Image.new("RGB", (400, 300), GREEN).save(rotated, exif=exif.tobytes())
    assert needs_preparing(rotated)
    out = prepare_still(rotated, parse_format("240x426"), out=tmp_path / "r.png", margin=0.0)
    assert Image.open(out).size == (240, 426)
