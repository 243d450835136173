"""Ad videos: brief validation, copy variants, programmatic combinations, labelled renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from laotie.core.errors import InvalidInput
from laotie.media import read_label
from laotie.studio.ad import (
    AdVoice,
    llm_copies,
    load_brief,
    make_ads,
    parse_brief,
    plan_variants,
    price_text,
    template_copies,
)
from laotie.studio.providers.llm import ChatResult, Usage
from laotie.studio.render import parse_format, probe
from laotie.studio.tts import EspeakTts

BRIEF = {
    "name": "苹果",
    "brand": "阿克苏",
    "category": "水果",
    "selling_points": ["脆甜"],
    "price_fen": 2990,
    "original_price_fen": 3990,
}


def test_brief_paths_prices_and_limits(tmp_path: Path) -> None:
    (tmp_path / "brief.json").write_text(json.dumps({**BRIEF, "images": ["a.jpg"]}), "utf-8")
    brief = load_brief(tmp_path / "brief.json")
    assert brief.images == [tmp_path / "a.jpg"]
    assert (price_text(2990), price_text(3000), price_text(5)) == ("29.9", "30", "0.05")
    with pytest.raises(InvalidInput) as caught:
        parse_brief({**BRIEF, "selling_points": []})
    assert caught.value.field == "brief.selling_points"
    with pytest.raises(InvalidInput):
        parse_brief({**BRIEF, "price_fen": 29.9})
    with pytest.raises(InvalidInput):
        load_brief(tmp_path / "missing.json")


def test_copies_and_combinations_differ() -> None:
    copies = template_copies(parse_brief({**BRIEF, "selling_points": ["脆甜", "多汁"]}))
    assert len({c.hook for c in copies}) == len(copies)
    assert all(c.sentences[-2] == "现价只要29.9元，原价39.9元！" for c in copies)
    plan = plan_variants(len(copies), count=6)
    combos = {(v.copy, v.cover, v.template, v.voice) for v in plan}
    assert len(combos) == 6
    first, second = plan[0], plan[1]
    assert all(
        getattr(first, k) != getattr(second, k) for k in ("copy", "cover", "template", "voice")
    )
    with pytest.raises(InvalidInput):
        plan_variants(1, count=0)


def test_llm_copy_uses_the_json_answer() -> None:
    class _Llm:
        def chat(self, messages, **kwargs):
            content = json.dumps(
                {"variants": [{"title": "甜", "hook": "咬一口就知道", "points": ["脆"]}]}
            )
            return ChatResult(content, "stop", Usage(), "fake")

        def estimate_cost_fen(self, prompt_tokens: int, completion_tokens: int) -> int:
            return 0

    [copy] = llm_copies(parse_brief(BRIEF), _Llm())
    assert copy.sentences == [
        "咬一口就知道。",
        "脆。",
        "现价只要29.9元，原价39.9元！",
        "点击下方链接，马上抢购。",
    ]


def test_two_ad_videos_are_rendered_and_labelled(tmp_path: Path, media) -> None:
    image = media.solid_image(tmp_path / "p.jpg", (200, 40, 40))
    brief = parse_brief({**BRIEF, "images": [str(image)], "call_to_action": "快来买"})
    ads = make_ads(
        brief,
        template_copies(brief)[:2],
        out_dir=tmp_path / "ads",
        count=2,
        video=parse_format("240x426"),
        engine_for=lambda v: EspeakTts(speed=round(165 * v.speed), pitch=v.pitch),
        voices=(AdVoice("a", 1.3, 40), AdVoice("b", 1.5, 70)),
    )
    assert [a.result.path.name for a in ads] == ["ad_01.mp4", "ad_02.mp4"]
    assert ads[0].template != ads[1].template and ads[0].voice != ads[1].voice
    for ad in ads:
        info = probe(ad.result.path)
        assert (info.width, info.height) == (240, 426) and info.has_audio
        assert info.duration_s == pytest.approx(ad.result.duration_s, abs=0.1)
        assert read_label(ad.result.path).label == ad.result.label
        assert read_label(ad.result.path.with_name(ad.result.path.stem + "_cover.png")).has_label
