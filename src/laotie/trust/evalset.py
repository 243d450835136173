"""The held-out labelled set for the text checks, built from public-domain novels and captions.

Each chapter excerpt yields one clean sample and one sample per corruption in ``spin``
(spun, stuffed, residue, bad spacing), labelled with the check that must fire. Even-numbered
chapters form the ``dev`` split (used to choose thresholds), odd-numbered the ``test`` split
(reported). Video captions, when given, are clean modern negatives split the same way.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from laotie.trust import spin
from laotie.trust.spam import CHECKS, CheckResult

_CHAPTER = re.compile(r"\n(?=第[一二三四五六七八九十百零〇]+[回章])")
CORRUPTIONS: dict[str, tuple[str, Callable[[str, int], str]]] = {
    "spun": ("spun_text", lambda text, seed: spin.spin(text, rate=0.35, seed=seed)),
    "stuffed": ("keyword_stuffing", lambda text, seed: spin.stuff(text, times=8, seed=seed)),
    "residue": ("boilerplate", lambda text, seed: spin.add_residue(text, lines=3, seed=seed)),
    "spacing": ("punctuation_spacing", lambda text, seed: spin.bad_spacing(text, seed=seed)),
}


@dataclass(frozen=True)
class Sample:
    """One labelled text: ``positive_for`` names the check that must fire (None: none may)."""

    text: str
    positive_for: str | None
    kind: str
    source: str
    split: str


def chapters(text: str) -> list[str]:
    """Chapters of a novel whose chapters start with a ``第X回``/``第X章`` line."""
    text = text.replace("\r\n", "\n")
    parts = _CHAPTER.split(text)
    return [p.strip("\n") for p in parts[1:] if len(p) > 200]


def novel_samples(
    path: Path, *, excerpt_chars: int = 1500, max_chapters: int | None = None
) -> list[Sample]:
    """Clean and corrupted excerpts of one novel's chapters."""
    out = []
    for index, chapter in enumerate(chapters(path.read_text(encoding="utf-8"))[:max_chapters]):
        excerpt = chapter[:excerpt_chars]
        split = "dev" if index % 2 == 0 else "test"
        source = f"{path.stem}#{index + 1}"
        out.append(Sample(excerpt, None, "clean", source, split))
        for kind, (check, corrupt) in CORRUPTIONS.items():
            out.append(Sample(corrupt(excerpt, index), check, kind, source, split))
    return out


def caption_samples(path: Path, *, limit: int = 1000) -> list[Sample]:
    """Clean modern negatives: KuaiRec video captions (caption + cover text)."""
    out = []
    with path.open(encoding="utf-8", newline="") as handle:
        for index, row in enumerate(csv.DictReader(handle)):
            text = " ".join(v for v in (row.get("caption"), row.get("manual_cover_text")) if v)
            if len(text) < 8 or text.upper() == "UNKNOWN":
                continue
            split = "dev" if index % 2 == 0 else "test"
            out.append(Sample(text, None, "caption", f"kuairec#{row.get('video_id')}", split))
            if len(out) >= limit:
                break
    return out


@dataclass(frozen=True)
class DetectorScore:
    """Precision/recall of one check on one split, with the confusion counts."""

    check: str
    split: str
    true_pos: int
    false_pos: int
    false_neg: int
    true_neg: int

    @property
    def precision(self) -> float:
        """TP / (TP + FP); 1.0 when nothing was flagged."""
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def recall(self) -> float:
        """TP / (TP + FN)."""
        positives = self.true_pos + self.false_neg
        return self.true_pos / positives if positives else 1.0


def evaluate(samples: Iterable[Sample], *, split: str) -> list[DetectorScore]:
    """Per-check confusion counts on ``split``: a sample is positive only for its own check."""
    rows = [s for s in samples if s.split == split]
    results: dict[str, list[int]] = {name: [0, 0, 0, 0] for name in CHECKS}
    for sample in rows:
        for name, check in CHECKS.items():
            flagged = check(sample.text).flagged
            positive = sample.positive_for == name
            slot = (0 if flagged else 2) if positive else (1 if flagged else 3)
            results[name][slot] += 1
    return [DetectorScore(name, split, *counts) for name, counts in results.items()]


def score_table(samples: Sequence[Sample]) -> dict[str, dict[str, list[float]]]:
    """Raw scores per check and sample kind (for choosing thresholds on the dev split)."""
    table: dict[str, dict[str, list[float]]] = {name: {} for name in CHECKS}
    for sample in samples:
        for name, check in CHECKS.items():
            result: CheckResult = check(sample.text)
            table[name].setdefault(sample.kind, []).append(result.score)
    return table
