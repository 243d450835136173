"""Spam checks: each corruption is caught with evidence; clean text is not flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from laotie.trust import check_text, spam, spin
from laotie.trust.evalset import caption_samples, evaluate, novel_samples

from .fixtures import CLASSICAL, MODERN


def _flags(text: str) -> set[str]:
    return {r.check for r in check_text(text) if r.flagged}


def test_clean_texts_are_not_flagged():
    assert _flags(CLASSICAL) == set()
    assert _flags(MODERN) == set()
    assert _flags("早安！今天也要加油 #日常") == set()


def test_keyword_stuffing_names_the_phrase_and_where():
    stuffed = spin.stuff(CLASSICAL, times=8, phrase="加微信领福利", seed=1)
    result = spam.keyword_stuffing(stuffed)
    assert result.flagged
    assert result.evidence[0].phrase == "加微信领福利"
    for item in result.evidence:
        assert stuffed[item.start : item.end] == item.phrase
    assert spam.keyword_stuffing("减肥茶 减肥茶 减肥茶 减肥茶 好喝").flagged


def test_spun_text_is_flagged_with_register_evidence():
    spun = spin.spin(CLASSICAL, rate=0.5, seed=3)
    result = spam.spun_text(spun)
    assert result.flagged, result
    notes = " ".join(e.note for e in result.evidence)
    assert "modern form" in notes or "broken idiom" in notes
    for item in result.evidence:
        assert spun[item.start : item.end] == item.phrase


def test_boilerplate_and_spacing():
    scraped = spin.add_residue(CLASSICAL, lines=3, seed=2)
    result = spam.boilerplate(scraped)
    assert result.flagged and result.evidence
    assert "本站" in scraped or "www" in scraped or "章" in result.evidence[0].phrase
    spaced = spin.bad_spacing(CLASSICAL, seed=4)
    assert spam.punctuation_spacing(spaced).flagged
    assert "punctuation_spacing" not in _flags(CLASSICAL.replace("。", "．"))


def test_result_serialises():
    data = spam.keyword_stuffing(MODERN).as_dict()
    assert set(data) == {"check", "score", "threshold", "flagged", "evidence"}
    assert data["flagged"] is False


def test_clean_classical_novels_are_not_flagged(shared_data: Path):
    """Held-out chapters of all four novels: no check may fire on the clean excerpts."""
    flagged = []
    for name in ("西游记", "红楼梦", "三国演义", "水浒传"):
        for sample in novel_samples(shared_data / "novels" / f"{name}.txt", max_chapters=12):
            if sample.kind == "clean" and sample.split == "test":
                hits = _flags(sample.text)
                if hits:
                    flagged.append((sample.source, hits))
    assert not flagged


def test_detectors_on_held_out_novel_excerpts(shared_data: Path):
    samples = []
    for name in ("西游记", "水浒传"):
        samples += novel_samples(shared_data / "novels" / f"{name}.txt", max_chapters=10)
    samples += caption_samples(shared_data / "kuairec" / "kuairec_caption_category.csv", limit=60)
    scores = {s.check: s for s in evaluate(samples, split="test")}
    assert scores["boilerplate"].recall == 1.0 and scores["boilerplate"].precision == 1.0
    assert scores["keyword_stuffing"].recall >= 0.8
    assert scores["punctuation_spacing"].recall >= 0.8
    assert scores["spun_text"].recall >= 0.3  # the weakest detector; see docs/trust.md
    for score in scores.values():
        assert score.precision >= 0.8, score


@pytest.mark.parametrize("text", ["", "   ", "。。"])
def test_empty_text_scores_zero(text: str):
    assert all(r.score == 0 for r in check_text(text))
