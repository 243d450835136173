"""Subtitle rows break between words (jieba), never inside a word or a number with its unit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from laotie.studio.render.script import script_from_text
from laotie.studio.render.subtitles import shorten, words_of, wrap_cjk
from laotie.studio.tts.text import split_sentences

NOVELS = Path(__file__).resolve().parents[4] / "shared" / "data" / "novels"
HOSTILE = [
    "现价只要29.9元，原价39.9元！",
    "每斤9元，买二送一，限时抢购进行中",
    "到手价¥129.00，比昨天便宜了30%",
    "2026年11月29日晚上8点开播，不见不散",
    "这台iPhone15ProMax的续航提升了20%左右",
    "直播间下单满199减30，再送价值59元的礼盒",
    "第3集：他在1,280米的山顶等了整整3.5小时",
]


def _boundaries(text: str, max_chars: int) -> tuple[set[int], set[int]]:
    """Where a row may end: between words, and (forced) inside a word too long for a row."""
    edges, forced, at = {0}, set(), 0
    for word in words_of(text):
        if len(word.rstrip("，。！？、%）")) > max_chars:
            forced.update(range(at + 1, at + len(word)))
        at += len(word)
        edges.add(at)
    return edges, forced


def _check(text: str, max_chars: int) -> None:
    rows = wrap_cjk(text, max_chars=max_chars)
    assert "".join(rows) == text.replace(" ", "") or "".join(rows) == text
    edges, forced = _boundaries(text, max_chars)
    at = 0
    for row in rows[:-1]:
        at += len(row)
        left, right = text[at - 1], text[at]
        if at in forced:
            continue
        assert at in edges, f"row break inside a word: {row!r} | {text[at:]!r}"
        assert not (left.isdigit() and (right.isdigit() or right in ".元%")), (text, rows)
        assert not (left == "." and right.isdigit()), (text, rows)
        assert right not in "，。！？、%）", (text, rows)
    # punctuation may hang past the row's end; nothing else may
    assert all(len(r.rstrip("，。！？、%）")) <= max_chars for r in rows if len(words_of(r)) > 1)


@pytest.mark.parametrize("max_chars", [5, 7, 9, 12])
def test_hostile_numbers_prices_and_latin_stay_whole(max_chars: int) -> None:
    for text in HOSTILE:
        _check(text, max_chars)


def test_the_reported_price_bug_is_gone() -> None:
    # the old wrapper cut "29.9元" into "29." and "9元" at 8 characters a row
    rows = wrap_cjk("限时特价只要29.9元包邮到家", max_chars=8)
    assert not any(r.endswith("29.") or r.startswith("9元") for r in rows)
    assert any("29.9元" in r for r in rows)


@pytest.mark.skipif(not NOVELS.is_dir(), reason="needs ../shared/data/novels (real Chinese text)")
def test_real_novel_sentences_wrap_at_word_boundaries() -> None:
    text = (NOVELS / "红楼梦.txt").read_text(encoding="utf-8")[:60_000]
    sentences = [s for s in split_sentences(re.sub(r"\s+", "", text), max_chars=40) if len(s) > 10]
    assert len(sentences) > 300
    for sentence in sentences[:400]:
        _check(sentence, 9)


def test_titles_are_shortened_between_words() -> None:
    title = script_from_text(
        "大家好，今天给大家推荐一款特别好用的保温杯，现价只要29.9元。", max_chars=500
    ).title
    assert len(title) <= 30 and not title.endswith("29.9")
    assert shorten("限时特价只要29.9元包邮", max_chars=9) == "限时特价只要"
    assert shorten("短标题", max_chars=9) == "短标题"
