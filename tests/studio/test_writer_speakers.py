"""Speaker attribution: hand-checked lines of the four novels, and the rules on small cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from laotie.studio.writer.attribution_eval import AttributionScore, load_fixture, score_novel
from laotie.studio.writer.characters import count_speakers, extract_characters
from laotie.studio.writer.parse import read_novel
from laotie.studio.writer.speakers import NameIndex, attribute, name_index

from .conftest import novel_path

FIXTURE = Path(__file__).parent / "fixtures" / "speakers.json"
NOVELS = ("西游记", "红楼梦", "三国演义", "水浒传")


def _quotes(paragraphs: list[str], names: NameIndex) -> list[str | None]:
    return [a.speaker for a in attribute(paragraphs, names) if a.unit.kind != "narration"]


def _names() -> NameIndex:
    canonical = {n: n for n in ("行者", "八戒", "三藏", "孙权", "甘宁", "凤姐", "平儿")}
    canonical.update({"悟空": "行者", "凤姐儿": "凤姐"})
    return NameIndex(canonical, {"小妖", "众人"})


def test_the_fixture_has_300_hand_checked_lines_from_each_novel() -> None:
    fixture = load_fixture(FIXTURE)
    lines = [(e["novel"], line) for e in fixture["excerpts"] for line in e["lines"]]
    assert len(lines) >= 300
    assert {novel for novel, _ in lines} == set(NOVELS)
    for novel, line in lines:
        assert line["speaker"] in fixture["people"][novel]


def test_the_speaker_is_the_subject_not_the_listener() -> None:
    names = _names()
    assert _quotes(["三藏对行者道：“徒弟，前面是甚么山？”"], names) == ["三藏"]
    assert _quotes(["八戒问行者道：“哥哥怎么不言语？”"], names) == ["八戒"]
    assert _quotes(["凤姐儿笑道：“你别喜欢。”"], names) == ["凤姐"]


def test_an_idiom_before_the_verb_is_nobody() -> None:
    # 满心欢喜道 once became a character called 满心欢
    assert _quotes(["满心欢喜道：“你虽有此善心，又有何德？”"], _names()) == [None]


def test_a_one_character_subject_is_a_given_name_mentioned_before() -> None:
    names = _names()
    text = ["甘宁拦住孙权。权曰：“何故相逼？”宁叱曰：“今日尚有何说！”"]
    assert _quotes(text, names) == ["孙权", "甘宁"]


def test_a_nameless_clause_continues_and_an_exchange_alternates() -> None:
    names = _names()
    paragraphs = [
        "行者道：“师父，我去去就来。”又叫：“兄弟看好行李！”",
        "八戒道：“哥哥去那里？”",
        "“化斋去。”",
        "“早些回来。”",
    ]
    assert _quotes(paragraphs, names) == ["行者", "行者", "八戒", "行者", "八戒"]


def test_a_stranger_stays_unknown() -> None:
    assert _quotes(["一个老者拄杖而来，开口道：“长老从那里来？”"], _names()) == [None]


@pytest.mark.parametrize("novel", NOVELS)
def test_attribution_is_right_where_it_names_a_speaker(novel: str) -> None:
    parsed = read_novel(novel_path(novel))
    speakers = count_speakers(parsed)
    names = name_index(extract_characters(parsed, speakers=speakers), speakers)
    fixture = load_fixture(FIXTURE)
    total = AttributionScore()
    for subset in ("dev", "heldout"):
        score = score_novel(fixture, novel, lambda p: attribute(p, names), subset=subset)
        assert score.lines and score.named
        total.add(score)
    assert total.accuracy >= 0.9, total
    assert total.share_named >= 0.6, total
