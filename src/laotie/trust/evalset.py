"""The held-out labelled set for the text checks, built from public-domain novels and captions.

Each chapter excerpt yields one clean sample and one sample per corruption in ``spin``
(spun, stuffed, residue, bad spacing), labelled with the check that must fire. Even-numbered
chapters form the ``dev`` split (used to choose thresholds), odd-numbered the ``test`` split
(reported). Video captions, when given, are clean modern negatives split the same way.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from laotie.media import load_font, render_badge
from laotie.trust import spin
from laotie.trust.neardup import TextIndex
from laotie.trust.notice import find_notice
from laotie.trust.spam import CHECKS, CheckResult
from laotie.trust.textfeat import feature_hashes

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


def neardup_score(samples: Sequence[Sample], *, split: str) -> DetectorScore:
    """Near-duplicate text detection: each clean excerpt is indexed; its spun copy must find
    it (positive) and every other excerpt's clean text must find nothing (negative)."""

    rows = [s for s in samples if s.split == split and s.source.count("#")]
    clean = {s.source: s.text for s in rows if s.kind == "clean"}
    spun = {s.source: s.text for s in rows if s.kind == "spun" and s.source in clean}
    keys = sorted(clean)
    half = len(keys) // 2
    indexed, unseen = keys[:half], keys[half:]
    index = TextIndex()
    signatures = index.hasher.signatures([_hashes(clean[k]) for k in indexed])
    index.add_many(list(range(len(indexed))), signatures)
    counts = [0, 0, 0, 0]
    for row, key in enumerate(indexed):
        found = {m.key for m in index.query(index.signature(spun[key]))}
        counts[0 if row in found else 2] += 1
        counts[1] += len(found - {row})
    for key in unseen:
        matches = index.query(index.signature(clean[key]))
        counts[1 if matches else 3] += 1
    return DetectorScore("near_duplicate_text", split, *counts)


def _hashes(text: str) -> np.ndarray:

    return feature_hashes(text)


def notice_score(*, count: int = 40, seed: int = 0) -> DetectorScore:
    """The visible-notice detector on synthetic frames: Studio's badge (JPEG re-encoded) vs
    the same frames without it, with near-miss captions (AI生活, 生成式, AI技术)."""

    rng = np.random.default_rng(seed)
    sizes = [(720, 1280), (1080, 1920), (1080, 1080), (1920, 1080), (360, 640)]
    captions = ["AI生活 技术成长", "生成式内容", "AI技术分享", "青山不改", "今天吃什么"]
    counts = [0, 0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(count):
            width, height = sizes[i % len(sizes)]
            frame = _scene(width, height, rng, captions[int(rng.integers(len(captions)))])
            badge = render_badge(width, height, out=Path(tmp) / "badge.png")
            with Image.open(badge.path) as overlay:
                marked = frame.convert("RGBA")
                marked.alpha_composite(overlay.convert("RGBA"), (badge.x, badge.y))
            for image, positive in ((marked.convert("RGB"), True), (frame, False)):
                buffer = io.BytesIO()
                image.save(buffer, format="JPEG", quality=int(rng.integers(60, 95)))
                buffer.seek(0)
                with Image.open(buffer) as decoded:
                    found = find_notice(decoded).found
                slot = (0 if found else 2) if positive else (1 if found else 3)
                counts[slot] += 1
    return DetectorScore("visible_notice", "synthetic", *counts)


def _scene(width: int, height: int, rng: np.random.Generator, caption: str) -> Image.Image:

    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.zeros((height, width, 3), np.uint8)
    for channel in range(3):
        phase = rng.uniform(0, 6)
        wave = np.sin(xx / rng.uniform(20, 120) + phase) * np.cos(yy / rng.uniform(20, 120))
        frame[..., channel] = (127 + 110 * wave).astype(np.uint8)
    image = Image.fromarray(frame)
    size = max(10, int(rng.uniform(0.04, 0.09) * min(width, height)))
    spot = (int(rng.uniform(0.05, 0.5) * width), int(rng.uniform(0.2, 0.8) * height))
    ImageDraw.Draw(image).text(spot, caption, font=load_font(size), fill=(255, 255, 255))
    return image
