"""The offline adaptation: structure, rules, review, labels and exports."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from laotie.core.aigc import EXPLICIT_NOTICE
from laotie.core.errors import InvalidInput
from laotie.studio.writer.export import export_all, load_adaptation, read_docx_label
from laotie.studio.writer.parse import parse_novel, units
from laotie.studio.writer.pipeline import adapt_offline
from laotie.studio.writer.review import review
from laotie.studio.writer.rules import MAX_LINES, MIN_LINES

from .conftest import novel_head


def test_parse_finds_chapters_dialogue_and_title(small_novel_text: str) -> None:
    novel = parse_novel(small_novel_text, title="x")
    assert novel.title == "测试记"
    assert len(novel.chapters) == 12
    found = units(novel.chapters[0].paragraphs[1])
    assert [u.kind for u in found][-1] == "dialogue"
    assert found[-1].clause.endswith("道")


def test_parse_falls_back_without_headings() -> None:
    text = "\n".join(f"他说：“第{i}句。”然后走了。" * 40 for i in range(30))
    novel = parse_novel(text)
    assert len(novel.chapters) >= 2


def test_bare_speech_and_corner_quotes() -> None:
    kinds = [u.kind for u in units("行者道：快走！他笑道「好」。")]
    assert kinds == ["dialogue", "dialogue"]


def test_empty_novel_is_invalid_input() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_novel("   \n\n***\n")
    assert info.value.field == "novel"


def test_small_novel_adapts_and_passes_review(small_novel_text: str) -> None:
    adaptation = adapt_offline(parse_novel(small_novel_text), episodes=12)
    report = review(adaptation)
    assert report.passed, report.to_dict()
    assert len(adaptation.scripts) == 12
    for script in adaptation.scripts:
        assert MIN_LINES <= len(script.lines) <= MAX_LINES
    assert sum(e.paywall for e in adaptation.outline) == 1


def test_too_many_episodes_is_invalid_input(small_novel_text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        adapt_offline(parse_novel(small_novel_text), episodes=1000)
    assert info.value.field == "episodes"


def test_review_catches_broken_rules(small_novel_text: str) -> None:
    adaptation = adapt_offline(parse_novel(small_novel_text), episodes=12)
    adaptation.scripts[0].scenes = adaptation.scripts[0].scenes[:1]
    adaptation.scripts[0].scenes[0].lines = adaptation.scripts[0].scenes[0].lines[:3]
    adaptation.outline[4].end_hook.paid_off_in = 9
    adaptation.outline[2].mini_climax = False
    for entry in adaptation.outline:
        entry.paywall = False
    report = review(adaptation)
    assert not report.passed
    first = report.episodes[0]
    assert any("行" in f for f in first.failures)
    assert any("兑现" in f for f in report.episodes[4].failures)
    assert any("小高潮" in f for f in report.series_failures)
    assert any("付费点" in f for f in report.series_failures)


def test_exports_carry_explicit_and_implicit_labels(small_novel_text: str, tmp_path: Path) -> None:
    adaptation = adapt_offline(parse_novel(small_novel_text), episodes=12)
    json_path, md_path, docx_path = export_all(adaptation, tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["AIGC"]["Label"] == "1" and data["AIGC"]["ProduceID"]
    markdown = md_path.read_text(encoding="utf-8")
    front = markdown.split("---")[1]
    assert '"ContentProducer"' in front and front.strip().startswith("AIGC:")
    assert EXPLICIT_NOTICE in markdown
    assert read_docx_label(docx_path).ProduceID == data["AIGC"]["ProduceID"]
    with zipfile.ZipFile(docx_path) as docx:
        core = docx.read("docProps/core.xml").decode()
        body = docx.read("word/document.xml").decode()
    assert "ProduceID" in core and EXPLICIT_NOTICE in body


def test_edited_json_reimports_and_retimes(small_novel_text: str, tmp_path: Path) -> None:
    export_all(adapt_offline(parse_novel(small_novel_text), episodes=12), tmp_path)
    path = tmp_path / "adaptation.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    line = data["scripts"][0]["scenes"][0]["lines"][1]
    line["text"] = line["text"] + "这一句被编剧加长了很多很多字。"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    again = load_adaptation(tmp_path)
    edited = again.scripts[0].scenes[0].lines[1]
    assert edited.text.endswith("很多字。") and edited.duration_s > line["duration_s"]
    data["scripts"][0]["scenes"][0]["interior"] = "上"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidInput) as info:
        load_adaptation(path)
    assert "interior" in (info.value.field or "")


@pytest.mark.parametrize("name", ["西游记", "红楼梦"])
def test_real_novel_head_adapts_and_passes(name: str) -> None:
    adaptation = adapt_offline(parse_novel(novel_head(name, 12), title=name), episodes=10)
    report = review(adaptation)
    assert report.passed, report.to_dict()
    speakers = {ln.speaker for s in adaptation.scripts for ln in s.lines if ln.speaker}
    assert len(speakers) >= 5
