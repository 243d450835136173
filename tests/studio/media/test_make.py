"""``studio make`` offline: template script, espeak voice at -16 LUFS, library visuals matched
by jieba keywords then cards, footage clips trimmed in the graph, transitions, cover, labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings
from laotie.media import read_label, run_ffmpeg
from laotie.studio.make.pipeline import MakeOptions, aspect_format
from laotie.studio.make.script import template_script
from laotie.studio.make.service import MakeSource, make_from_settings
from laotie.studio.render import extract_frame, probe
from laotie.studio.render.compose import Composition, Shot, render
from laotie.studio.render.formats import VideoFormat
from laotie.studio.tts import EspeakTts, synthesize_narration
from laotie.studio.tts.loudness import measure_loudness

RED, BLUE = (220, 30, 30), (30, 40, 220)


def _clip(path: Path, colour: str, seconds: float) -> Path:
    run_ffmpeg(
        [
            "-f",
            "lavfi",
            "-i",
            f"color=c={colour}:s=640x360:r=25:d={seconds}",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            str(path),
        ],
        stage="test clip",
    )
    return path


def _centre(frame: Path) -> np.ndarray:
    pixels = np.asarray(Image.open(frame).convert("RGB"), dtype=np.float64)
    h, w, _ = pixels.shape
    return pixels[h // 3 : h // 2, w // 4 : w * 3 // 4].reshape(-1, 3).mean(axis=0)


def test_footage_is_trimmed_looped_and_joined_with_a_transition(tmp_path: Path) -> None:
    red = _clip(tmp_path / "red.mp4", "#DC1E1E", 1.0)  # shorter than its share: looped
    blue = _clip(tmp_path / "blue.mp4", "#1E28DC", 6.0)
    narration = synthesize_narration(
        EspeakTts(), ["老铁们好。", "今天吃苹果。"], workdir=tmp_path / "v"
    )
    out = tmp_path / "footage.mp4"
    render(
        Composition(
            video=VideoFormat(360, 640),
            shots=(Shot(red), Shot(blue, start_s=2.0)),
            narration=narration,
            label=new_label(),
            transition="fade",
            transition_s=0.6,
        ),
        out=out,
        workdir=tmp_path / "w",
    )
    info = probe(out)
    assert info.duration_s == pytest.approx(narration.duration_s, abs=0.1)
    half = narration.duration_s / 2
    early = _centre(extract_frame(out, at_s=0.3, out=tmp_path / "a.png"))
    mixed = _centre(extract_frame(out, at_s=half + 0.3, out=tmp_path / "b.png"))
    late = _centre(extract_frame(out, at_s=narration.duration_s - 0.3, out=tmp_path / "c.png"))
    assert early[0] > 180 and early[2] < 80  # red, past its own 1 s length: it looped
    assert late[2] > 180 and late[0] < 80
    assert 60 < mixed[0] < 200 and 60 < mixed[2] < 200  # mid-fade: both colours


def test_template_variants_differ_and_aim_at_the_target_length() -> None:
    scripts = [
        template_script("新手如何开始跑步", target_s=45, variant=v, chars_per_s=3.6)
        for v in range(3)
    ]
    assert {s.source for s in scripts} == {"template"}
    assert len({tuple(s.script.sentences) for s in scripts}) == 3
    for made in scripts:
        chars = sum(len(s) for s in made.script.sentences)
        assert 35 <= chars / 3.6 + 0.25 * len(made.script.sentences) <= 46
    with pytest.raises(InvalidInput) as empty:
        template_script("  ", target_s=30, variant=0, chars_per_s=3.6)
    assert empty.value.field == "topic"


def _library(root: Path) -> Path:
    (root / "跑步").mkdir(parents=True)
    Image.new("RGB", (600, 900), RED).save(root / "跑步" / "跑鞋 装备.png")
    Image.new("RGB", (600, 900), BLUE).save(root / "跑步" / "公园 晨跑.jpg")
    (root / "跑步" / "公园 晨跑.txt").write_text("新手 跑步 坚持 习惯", encoding="utf-8")
    Image.new("RGB", (600, 900), (240, 240, 240)).save(root / "咖啡.png")
    return root


@pytest.mark.slow
def test_make_offline_variants_are_finished_labelled_videos(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    music = tmp_path / "music"
    music.mkdir()
    run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=frequency=330:duration=3", str(music / "a.wav")], stage="music"
    )
    run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=frequency=440:duration=3", str(music / "b.wav")], stage="music"
    )
    made = make_from_settings(
        MakeSource(topic="新手如何开始跑步"),
        settings=settings,
        options=MakeOptions(
            video=aspect_format("9:16", short_side=360), variants=2, music_dir=music
        ),
        out_dir=tmp_path / "made",
        target_s=20,
        library=_library(tmp_path / "lib"),
        visuals=("library",),
        use_llm=False,
    )
    assert [m.variant for m in made] == [0, 1]
    assert made[0].sentences != made[1].sentences
    assert {m.script_source for m in made} == {"template"}
    assert {m.transition for m in made} == {"fade", "dissolve"}
    assert [m.music.name for m in made if m.music] == ["a.wav", "b.wav"]
    for video in made:
        info = probe(video.result.path)
        assert (info.width, info.height) == (360, 640)
        assert 12 <= info.duration_s <= 30
        assert read_label(video.result.path).label is not None
        assert video.cover is not None and read_label(video.cover).label is not None
        assert video.result.srt_path.read_text(encoding="utf-8").count("-->") == len(
            video.sentences
        )
        sources = [v.source for v in video.visuals]
        assert "library" in sources
        assert all(v.path.is_file() for v in video.visuals)
        # the sentence naming 跑步 got a file from the 跑步 folder
        for sentence, visual in zip(video.sentences, video.visuals, strict=True):
            if "跑步" in sentence and visual.source == "library":
                assert visual.path.parent.name == "跑步"
    # the mix (voice at -16 LUFS, music 14 dB under and ducked) stays near the target
    loudness = measure_loudness(made[0].result.path)
    assert loudness.integrated_lufs == pytest.approx(-16.0, abs=2.0)


@pytest.mark.parametrize(
    ("target_s", "visuals", "field"),
    [
        (5, ("library",), "seconds"),
        (20, ("bing",), "visuals"),
        (20, ("pexels",), "LAOTIE_PEXELS_API_KEY"),
    ],
)
def test_make_refuses_bad_requests_before_any_work(
    tmp_path: Path, target_s: float, visuals: tuple[str, ...], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_from_settings(
            MakeSource(topic="跑步"),
            settings=Settings(home=tmp_path / "home"),
            options=MakeOptions(video=aspect_format("1:1", short_side=360)),
            out_dir=tmp_path / "made",
            target_s=target_s,
            visuals=visuals,
        )
    assert caught.value.field == field
    assert not (tmp_path / "made").exists()


def test_make_source_and_aspect_are_checked() -> None:
    with pytest.raises(InvalidInput) as both:
        MakeSource(topic="跑步", script="写好的稿子。")
    assert both.value.field == "topic"
    with pytest.raises(InvalidInput) as aspect:
        aspect_format("4:3")
    assert aspect.value.field == "aspect"
