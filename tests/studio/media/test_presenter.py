"""The offline presenter: the mouth follows the voice, eyes blink, portraits need a face."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from laotie.core.errors import InvalidInput
from laotie.media import read_label
from laotie.studio.presenter import PresenterOptions, blink_mask, find_face, mouth_levels, present
from laotie.studio.presenter.present import placement, presenter_height
from laotie.studio.render import extract_frame, parse_format, probe, script_from_text
from laotie.studio.tts import EspeakTts


def _portrait(path: Path) -> Path:
    image = Image.new("RGB", (400, 500), (60, 90, 150))
    draw = ImageDraw.Draw(image)
    draw.rectangle((120, 380, 280, 500), fill=(200, 60, 60))
    draw.ellipse((130, 120, 270, 310), fill=(230, 185, 150))
    draw.ellipse((160, 180, 185, 200), fill=(30, 20, 20))
    draw.ellipse((215, 180, 240, 200), fill=(30, 20, 20))
    image.save(path)
    return path


def test_mouth_opens_with_loudness_and_closes_in_silence(tmp_path: Path, media) -> None:
    tone = media.tone_wav(tmp_path / "t.wav", seconds=1.0, rate=24_000)
    silence = tmp_path / "s.wav"
    media.tone_wav(silence, seconds=0.0)
    levels = mouth_levels(tone, fps=30, frames=45)  # 1 s of tone, then 0.5 s of padding
    assert levels[5:28].min() == 3
    assert levels[32:].max() == 0
    blinks = blink_mask(30 * 20, fps=30)
    runs = np.flatnonzero(np.diff(blinks.astype(int)) == 1)
    assert 3 <= runs.size <= 10  # a blink every 2-5 s over 20 s


def test_face_found_in_a_portrait_and_refused_without_one(tmp_path: Path, media) -> None:
    face = find_face(Image.open(_portrait(tmp_path / "p.jpg")))
    assert 120 <= face.left <= 140 and 260 <= face.right <= 280
    assert 110 <= face.top <= 130
    with pytest.raises(InvalidInput) as caught:
        find_face(Image.open(media.solid_image(tmp_path / "wall.png", (60, 90, 150))))
    assert caught.value.field == "avatar"


def test_presenter_video_moves_its_mouth(tmp_path: Path) -> None:
    video = parse_format("360x640")
    script = script_from_text("大家好。我是主播。", max_chars=100)
    work = tmp_path / "work"
    result = present(
        script,
        out=tmp_path / "p.mp4",
        engine=EspeakTts(),
        options=PresenterOptions(video=video),
        workdir=work,
    )
    info = probe(result.path)
    assert (info.width, info.height) == (360, 640) and info.has_audio
    assert info.duration_s == pytest.approx(result.duration_s, abs=0.1)
    assert read_label(result.path).label == result.label
    # find a loud frame and a silent one from the voice, and compare the mouth pixels
    levels = mouth_levels(
        work / "voice" / "narration.wav", fps=30, frames=int(info.duration_s * 30)
    )
    loud, quiet = int(np.argmax(levels)), 1
    assert levels[quiet] == 0 and levels[loud] == 3
    height = presenter_height(video)
    x, y = placement(video, type("S", (), {"width": round(600 * height / 800), "height": height})())
    scale = height / 800
    mouth = (
        x + round(250 * scale),
        y + round(410 * scale),
        x + round(350 * scale),
        y + round(470 * scale),
    )
    open_frame = extract_frame(result.path, at_s=(loud + 0.5) / 30, out=tmp_path / "open.png")
    shut_frame = extract_frame(result.path, at_s=(quiet + 0.5) / 30, out=tmp_path / "shut.png")
    dark = [
        (np.asarray(Image.open(f).convert("L").crop(mouth)) < 90).sum()
        for f in (open_frame, shut_frame)
    ]
    assert dark[0] > 3 * max(dark[1], 1)


def test_portrait_presenter_and_bad_avatar(tmp_path: Path, media) -> None:
    script = script_from_text("你好。", max_chars=100)
    options = PresenterOptions(video=parse_format("320x240"), avatar=_portrait(tmp_path / "p.jpg"))
    out = present(script, out=tmp_path / "p.mp4", engine=EspeakTts(), options=options).path
    assert probe(out).width == 320
    wall = media.solid_image(tmp_path / "wall.png", (60, 90, 150))
    with pytest.raises(InvalidInput, match="no detectable face"):
        present(
            script,
            out=tmp_path / "w.mp4",
            engine=EspeakTts(),
            options=PresenterOptions(video=parse_format("320x240"), avatar=wall),
        )
    assert not (tmp_path / "w.mp4").exists()
