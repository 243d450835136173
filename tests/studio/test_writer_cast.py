"""The cast holds people only: body parts, places, verbs and groups never become characters."""

from __future__ import annotations

import pytest

from laotie.studio.writer.characters import count_speakers, extract_characters, speaker_token
from laotie.studio.writer.parse import read_novel
from laotie.studio.writer.people import is_titled, non_person_reason

from .conftest import novel_path

#: words the old cast held or that sit right before 道 in the four novels
NOT_PEOPLE = {
    "body part": ["耳朵", "用手", "眼睛", "口里", "心中", "仙气", "举手"],
    "place": ["山门", "宝殿", "洞口", "城外", "观音院", "水帘洞"],
    "verb": ["分付", "寻思", "即命", "满心欢", "满心欢喜", "点头", "冷笑", "道谢"],
    "group": ["文武", "姊妹", "众人", "众将", "兄弟", "二人", "师徒"],
}
#: what the four novels must keep as people (top-10 names of their casts)
MUST_KEEP = {
    "西游记": ["行者", "八戒", "沙僧"],
    "红楼梦": ["宝玉", "凤姐", "贾母", "王夫人", "黛玉"],
    "三国演义": ["玄德", "孔明", "曹操"],
    "水浒传": ["宋江", "李逵", "武松"],
}


@pytest.mark.parametrize("kind", sorted(NOT_PEOPLE))
def test_non_people_are_rejected(kind: str) -> None:
    for word in NOT_PEOPLE[kind]:
        assert non_person_reason(word) is not None, word


def test_titles_and_kinship_make_people() -> None:
    for word in ("贾母", "王夫人", "凤姐", "刘姥姥", "周瑞家的", "鲁提辖", "宋太尉", "关公"):
        assert is_titled(word), word
        assert non_person_reason(word) is None, word
    assert non_person_reason("太尉") == "bare title"


def test_the_word_before_the_verb_is_a_person_or_nothing() -> None:
    assert speaker_token("满心欢喜道") is None
    assert speaker_token("用手指定道") is None
    assert speaker_token("周瑞家的走来说道") in (None, "周瑞家的")
    assert speaker_token("凤姐儿笑道") == "凤姐儿"


@pytest.mark.parametrize("novel", sorted(MUST_KEEP))
def test_the_novels_casts_hold_people_only(novel: str) -> None:
    parsed = read_novel(novel_path(novel))
    cast = extract_characters(parsed, speakers=count_speakers(parsed))
    names = [c.name for c in cast] + [a for c in cast for a in c.aliases]
    rejected = {word for words in NOT_PEOPLE.values() for word in words}
    for name in names:
        assert name not in rejected, name
        assert non_person_reason(name) is None, (name, non_person_reason(name))
    top = {c.name for c in cast[:10]} | {a for c in cast[:10] for a in c.aliases}
    for name in MUST_KEEP[novel]:
        assert name in top, (name, [c.name for c in cast[:10]])
