"""The labelled sets behind docs/trust.md: built deterministically, scored per detector."""

from __future__ import annotations

from pathlib import Path

from laotie.trust.evalset import chapters, neardup_score, notice_score, novel_samples

from .fixtures import CLASSICAL


def test_chapters_split_on_chapter_lines(tmp_path: Path):
    novel = tmp_path / "n.txt"
    novel.write_text("书名\r\n" + CLASSICAL + "\r\n" + CLASSICAL.replace("第一回", "第二回"))
    found = chapters(novel.read_text())
    assert [c[:3] for c in found] == ["第一回", "第二回"]
    samples = novel_samples(novel)
    assert [s.kind for s in samples[:5]] == ["clean", "spun", "stuffed", "residue", "spacing"]
    assert {s.split for s in samples} == {"dev", "test"}
    assert novel_samples(novel) == samples


def test_notice_detector_on_synthetic_frames():
    score = notice_score(count=3, seed=1)
    assert (score.true_pos, score.false_pos, score.false_neg, score.true_neg) == (3, 0, 0, 3)


def test_near_duplicate_detector_on_novel_excerpts(shared_data: Path):
    samples = novel_samples(shared_data / "novels" / "三国演义.txt", max_chapters=16)
    score = neardup_score(samples, split="test")
    assert score.recall == 1.0 and score.precision == 1.0
