"""Spam and low-quality text checks; each returns a score in [0, 1] and its evidence.

* ``keyword_stuffing`` — one phrase injected again and again;
* ``spun_text`` — machine "pseudo-original" (伪原创): broken idioms, names with a swapped
  character, modern near-synonyms inside classical / early-vernacular narration;
* ``boilerplate`` — scraped-site residue (URLs, "最新章节", "加入书签", HTML) and lines
  repeated across the text;
* ``punctuation_spacing`` — spaces inside Chinese runs, around full-width punctuation, and
  ASCII punctuation between Chinese characters.

Thresholds were chosen on the dev half of the labelled set (docs/trust.md) and are fixed here.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

import jieba

from laotie.trust.lexicon import (
    REGISTER_DOUBLETS,
    dictionary_words,
    idiom_masks,
    idioms,
)
from laotie.trust.stuffing import StuffedToken, best_stuffed
from laotie.trust.synonyms import MIN_COVERED, synonym_profile

_CJK = r"\u4e00-\u9fff"
_IS_CJK = re.compile(f"[{_CJK}]")
_IS_CJK4 = re.compile(f"[{_CJK}]{{4}}")
_MAX_EVIDENCE = 10


@dataclass(frozen=True)
class Evidence:
    """What a check found and where: ``start``/``end`` are character offsets in the text."""

    phrase: str
    start: int
    end: int
    note: str = ""


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: ``score`` in [0, 1], ``flagged`` when it reaches the threshold."""

    check: str
    score: float
    threshold: float
    evidence: tuple[Evidence, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> bool:
        """True when the score reaches the check's threshold."""
        return self.score >= self.threshold

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (scores rounded to 4 places)."""
        return {
            "check": self.check,
            "score": round(self.score, 4),
            "threshold": self.threshold,
            "flagged": self.flagged,
            "evidence": [e.__dict__ for e in self.evidence],
        }


def _clip(value: float) -> float:
    return max(0.0, min(1.0, value))


def _positions(text: str, phrase: str, limit: int = _MAX_EVIDENCE) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    start = text.find(phrase)
    while start >= 0 and len(found) < limit:
        found.append((start, start + len(phrase)))
        start = text.find(phrase, start + len(phrase))
    return found


# --- keyword stuffing -------------------------------------------------------------------------

STUFFING_THRESHOLD = 0.5
#: texts longer than this (Chinese/alnum chars) are prose; shorter ones are titles/captions
_SHORT_TEXT = 400
_MAX_STUFFED = 16
_SENTENCE_END = '。！？．!?\n”"」'
#: a phrase with two digits (a year, a figure) repeats naturally in reports
_TITLE_CHARS = 40
#: a subject named in the title reads oddly in fewer than this share of its occurrences
_SUBJECT_MAX_SUSPICIOUS = 0.4
_NUMBERISH = re.compile(r"\d.*\d")


def _boundary_share(text: str, phrase: str) -> float:
    spots = [m.start() for m in re.finditer(re.escape(phrase), text)]
    at_boundary = [i == 0 or text[i - 1] in _SENTENCE_END for i in spots]
    return sum(at_boundary) / len(spots) if spots else 0.0


@lru_cache(maxsize=4)
def _cut(text: str) -> tuple[str, ...]:
    return tuple(jieba.lcut(text, HMM=False))


def _words(text: str) -> list[str]:
    """``text``'s jieba tokens (accurate mode, no HMM): cut once for the checks that
    ``check_text`` runs one after another on the same text."""
    return list(_cut(text))


def _title(text: str) -> str:
    """The first line when it is short enough to be a title (names the text's subject)."""
    first = text.lstrip().split("\n", 1)[0]
    return first if len(first) <= _TITLE_CHARS else ""


def _is_subject(candidate: StuffedToken, title: str) -> bool:
    """The token names the text's subject: it stands in the title as a word, and reads like
    a name in most of the body too (a token stuffed into the title as well does not)."""
    first = candidate.occurrences[0]
    suspicious = candidate.suspicious()
    in_title = first.end <= len(title) and first not in suspicious
    return in_title and len(suspicious) < _SUBJECT_MAX_SUSPICIOUS * len(candidate.occurrences)


def _topical_share(text: str, phrase: str) -> float:
    """Share of the phrase's character pairs that the text also uses apart from the phrase:
    about 1 for the text's own subject, near 0 for bait foreign to it."""
    rest = text.replace(phrase, "\n")
    pairs = {phrase[i : i + 2] for i in range(len(phrase) - 1)}
    return sum(p in rest for p in pairs) / len(pairs) if pairs else 0.0


def keyword_stuffing(text: str) -> CheckResult:
    """Score the most over-repeated phrase by its share of the text and its repeat count.

    In prose only phrases of >= 5 characters repeated >= 5 times count (names and their
    particles repeat naturally); in a title or caption any phrase of >= 2 characters does.
    """
    runs = re.findall(f"[{_CJK}A-Za-z0-9]+", text)
    total = sum(len(run) for run in runs)
    prose = total > _SHORT_TEXT
    min_len, min_count, full_coverage = (5, 5, 0.04) if prose else (2, 4, 0.3)
    best_phrase, best_score, best_count = "", 0.0, 0
    title = _title(text)
    for n in range(_MAX_STUFFED, min_len - 1, -1):
        counts = Counter(run[i : i + n] for run in runs for i in range(len(run) - n + 1))
        if not counts:
            continue
        phrase, count = next(
            ((p, c) for p, c in counts.most_common() if not _NUMBERISH.search(p)), ("", 0)
        )
        if count < min_count:
            continue
        score = _clip(count * n / total / full_coverage) * _clip((count - min_count + 2) / 3)
        if prose:
            # injected phrases sit between sentences; names and refrains sit inside them;
            # and the text's own subject (国务院银行业监督管理机构) is made of words it uses
            # elsewhere, while injected bait (全网最低价包邮) is foreign to it
            score *= 0.5 + 0.5 * _boundary_share(text, phrase)
            score *= 0.0 if phrase in title else 1.0 - _topical_share(text, phrase)
        if score > best_score:
            best_phrase, best_score, best_count = phrase, score, count
    inserted, inserted_score = None, 0.0
    if prose:  # only prose is read for inserted tokens (and segmented to tell its register)
        modern = _classical_rate(text, _words(text)) < _MODERN_MAX_CLASSICAL
        inserted, inserted_score = best_stuffed(text, modern=modern)
    if inserted is not None and not _is_subject(inserted, title) and inserted_score > best_score:
        count = len(inserted.occurrences)
        ranked = inserted.suspicious()[:_MAX_EVIDENCE] or list(inserted.occurrences[:3])
        return CheckResult(
            "keyword_stuffing",
            inserted_score,
            STUFFING_THRESHOLD,
            tuple(
                Evidence(
                    inserted.token,
                    o.start,
                    o.end,
                    f"rare token repeated {count} times; "
                    + (
                        f"splits a word here (+{o.disruption:.1f} nats)"
                        if o.splits_word
                        else f"no name stands before {o.next_word!r}"
                    ),
                )
                for o in sorted(ranked, key=lambda o: o.start)
            ),
        )
    evidence = tuple(
        Evidence(best_phrase, s, e, f"repeated {best_count} times")
        for s, e in _positions(text, best_phrase)
    )
    return CheckResult("keyword_stuffing", best_score, STUFFING_THRESHOLD, evidence)


# --- spun text (伪原创) ------------------------------------------------------------------------

SPUN_THRESHOLD = 0.7
#: distinct register clashes (plus weak traces) that make a text certainly spun
_SPUN_FULL = 5.0
_WEAK_WEIGHT = 0.1
#: mean synonym surprise (nats per thesaurus-covered word) of a certainly spun modern text
_SURPRISE_FULL = 1.4
#: classical / early-vernacular words (as jieba tokens, so 甚至 and 方便 do not count) and
#: 道： before speech; the synonym check reads modern prose only (rare words are the norm
#: in the classics), i.e. fewer than 0.15 markers per 100 characters
_CLASSICAL_WORDS = frozenset(
    ["曰", "矣", "乃", "遂", "便", "甚", "只见", "怎的", "乎", "焉", "哉", "汝", "吾"]
)
_SPEECH_MARK = re.compile(r"道[：:]")
_MODERN_MAX_CLASSICAL = 0.15


def _broken_idioms(text: str, words: list[str]) -> list[Evidence]:
    """Four-character tokens one character away from a dictionary idiom (token-aligned)."""
    masks, real, known = idiom_masks(), idioms(), dictionary_words()
    found, offset, bounds = [], 0, {0}
    for word in words:
        offset += len(word)
        bounds.add(offset)
    starts = sorted(bounds)
    for start in starts:
        window = text[start : start + 4]
        if len(window) < 4 or start + 4 not in bounds or not _IS_CJK4.fullmatch(window):
            continue
        if window in real or window in known:
            continue
        for k in range(4):
            near = masks.get(window[:k] + "?" + window[k + 1 :])
            if near:
                idiom = sorted(near)[0]
                found.append(Evidence(window, start, start + 4, f"broken idiom {idiom}"))
                break
    return found


def _name_variants(text: str, words: list[str]) -> list[Evidence]:
    """Rare one-character variants of a name-like token that the text uses often."""
    counts = Counter(w for w in words if len(w) == 3 and _IS_CJK4.fullmatch(w + "一"))
    known = dictionary_words()
    names = [w for w, c in counts.items() if c >= 4]
    found = []
    for name in names:
        for k in range(len(name)):
            pattern = re.compile(re.escape(name[:k]) + f"([{_CJK}])" + re.escape(name[k + 1 :]))
            variants = Counter(m.group() for m in pattern.finditer(text))
            for variant, count in variants.items():
                if variant == name or variant in known or count > 2:
                    continue
                if counts.get(variant, 0) > 2 or counts[name] < 4 * count:
                    continue
                start = text.find(variant)
                found.append(Evidence(variant, start, start + len(variant), f"variant of {name}"))
    return found


def _register_mix(text: str) -> list[Evidence]:
    """Modern forms used where the same text also uses their classical doublet."""
    found = []
    for classical, modern in REGISTER_DOUBLETS:
        if not re.search(classical, text):
            continue
        for match in re.finditer(modern, text):
            found.append(
                Evidence(
                    match.group(), match.start(), match.end(), f"modern form beside {classical}"
                )
            )
    return found


def _classical_rate(text: str, words: list[str]) -> float:
    """Classical / early-vernacular markers per 100 Chinese characters."""
    markers = sum(w in _CLASSICAL_WORDS for w in words) + len(_SPEECH_MARK.findall(text))
    return markers * 100 / max(len(_IS_CJK.findall(text)), 1)


def spun_text(text: str) -> CheckResult:
    """Score near-synonym spinning: distinct register clashes, plus idiom/name traces per 1,000.

    Clean early-vernacular prose mixes registers a little (红楼梦 uses both 道 and 说), so
    what counts is how many *different* doublets clash; broken idioms and name variants, which
    also occur in clean classical prose, add a tenth of their rate per 1,000 characters.
    """
    cjk = len(_IS_CJK.findall(text))
    if cjk < 200:
        return CheckResult("spun_text", 0.0, SPUN_THRESHOLD)
    words = _words(text)
    mixed = _register_mix(text)
    weak = _broken_idioms(text, words) + _name_variants(text, words)
    clashes = len({e.note for e in mixed})
    value = clashes + _WEAK_WEIGHT * len(weak) * 1000 / cjk
    evidence = sorted(mixed + weak, key=lambda e: e.start)
    register_score = _clip(value / _SPUN_FULL)
    classical = _classical_rate(text, words)
    profile = synonym_profile(text, words=words) if classical < _MODERN_MAX_CLASSICAL else None
    synonym_score = (
        _clip(profile.mean_surprise / _SURPRISE_FULL)
        if profile is not None and profile.covered >= MIN_COVERED
        else 0.0
    )
    if profile is not None and synonym_score > register_score:
        swaps = sorted(profile.substitutions[:_MAX_EVIDENCE], key=lambda s: s.start)
        return CheckResult(
            "spun_text",
            synonym_score,
            SPUN_THRESHOLD,
            tuple(
                Evidence(
                    s.word,
                    s.start,
                    s.start + len(s.word),
                    f"rare synonym, likely {s.likely} (+{s.surprise:.1f} nats); "
                    f"mean {profile.mean_surprise:.2f} over {profile.covered} words",
                )
                for s in swaps
            ),
        )
    return CheckResult("spun_text", register_score, SPUN_THRESHOLD, tuple(evidence[:_MAX_EVIDENCE]))


# --- boilerplate and scraped-site residue -----------------------------------------------------

BOILERPLATE_THRESHOLD = 0.5
_RESIDUE = [
    (re.compile(r"(?:https?://|www\.)[\w./?=&%-]+", re.I), "URL"),
    (re.compile(r"\b[\w-]+\.(?:com|net|org|cc|cn|info|la|tw)\b", re.I), "domain"),
    (re.compile(r"&(?:nbsp|amp|lt|gt|quot);|<\s*/?\s*(?:br|p|div|span|a)\b[^>]*>", re.I), "HTML"),
    (re.compile(r"(?:最新|全文|无弹窗|免费)(?:章节|阅读|小说)"), "site promo"),
    (re.compile(r"(?:加入|添加)书签|收藏本站|本站地址|记住本站|推荐本书|投推荐票"), "site nav"),
    (re.compile(r"上一[章页][\s\S]{0,6}(?:目录|书页)[\s\S]{0,6}下一[章页]"), "page nav"),
    (re.compile(r"本章未完|点击下一页|继续阅读|请翻页|手机(?:用户|版|阅读)"), "pagination"),
    (re.compile(r"(?:一秒|天才)记住|求(?:月票|推荐票|收藏|订阅)|笔趣阁|顶点小说"), "site residue"),
    (re.compile(r"（本章完）|\(本章完\)|未完待续"), "chapter footer"),
]


def boilerplate(text: str) -> CheckResult:
    """Score scraped-site residue patterns and lines repeated three or more times."""
    evidence = []
    for pattern, note in _RESIDUE:
        for match in pattern.finditer(text):
            evidence.append(Evidence(match.group(), match.start(), match.end(), note))
    lines = [line.strip() for line in text.splitlines()]
    repeated = Counter(line for line in lines if len(line) >= 6)
    for line, count in repeated.items():
        if count >= 3:
            start = text.find(line)
            evidence.append(Evidence(line, start, start + len(line), f"line repeated {count}x"))
    evidence.sort(key=lambda e: e.start)
    score = _clip(len(evidence) / 2)
    return CheckResult("boilerplate", score, BOILERPLATE_THRESHOLD, tuple(evidence[:_MAX_EVIDENCE]))


# --- punctuation spacing ----------------------------------------------------------------------

PUNCTUATION_THRESHOLD = 0.5
_SENTENCE_PUNCT = "，。；：？！．"
_ABNORMAL = [
    (re.compile(f"[ \t\u3000]+(?=[{_SENTENCE_PUNCT}])"), "space before full-width punctuation"),
    (re.compile(f"(?<=[，、；：])[ \t]+(?=[{_CJK}])"), "space after a comma"),
    (re.compile(f"(?<=[{_CJK}])[,;](?=[ \t]*[{_CJK}])|(?<=[{_CJK}])\\.(?=[{_CJK}])"), "ASCII mark"),
    (re.compile(r"([，。、；：？！,.!?])\1{3,}"), "repeated punctuation"),
]
#: inside prose (a line with several full-width commas) a space between Chinese characters
#: is abnormal; captions separate phrases with spaces, so it is not counted there
_PROSE_SPACE = re.compile(f"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")
#: abnormal spots per 100 Chinese characters that make a text certainly badly spaced
_PUNCT_FULL_RATE = 1.5
_PUNCT_MIN_SPOTS = 3
#: lines at least this long with several commas are prose, not captions
_PROSE_LINE = 60


def punctuation_spacing(text: str) -> CheckResult:
    """Score abnormal spacing and punctuation per 100 Chinese characters (indents ignored)."""
    evidence = []
    for line_match in re.finditer(r"[^\n]+", text):
        line, base = line_match.group(), line_match.start()
        indent = len(line) - len(line.lstrip())
        patterns = list(_ABNORMAL)
        if line.count("，") >= 3 and len(line) >= _PROSE_LINE:
            patterns.append((_PROSE_SPACE, "space inside Chinese prose"))
        for pattern, note in patterns:
            for match in pattern.finditer(line, indent):
                start, end = base + match.start(), base + match.end()
                evidence.append(Evidence(match.group(), start, end, note))
    cjk = len(_IS_CJK.findall(text))
    rate = len(evidence) * 100 / max(cjk, 100)
    score = _clip(rate / _PUNCT_FULL_RATE) * _clip(len(evidence) / _PUNCT_MIN_SPOTS)
    evidence.sort(key=lambda e: e.start)
    return CheckResult(
        "punctuation_spacing", score, PUNCTUATION_THRESHOLD, tuple(evidence[:_MAX_EVIDENCE])
    )


CHECKS = {
    "keyword_stuffing": keyword_stuffing,
    "spun_text": spun_text,
    "boilerplate": boilerplate,
    "punctuation_spacing": punctuation_spacing,
}


def explain_check(result: CheckResult, *, spans: int = 3) -> str:
    """One line for the review queue: the check, its score against its threshold, and where
    (``'phrase'@start-end: note`` for the first ``spans`` pieces of evidence)."""
    where = "; ".join(
        f"{e.phrase!r}@{e.start}-{e.end}" + (f": {e.note}" if e.note else "")
        for e in result.evidence[:spans]
    )
    verdict = ">=" if result.flagged else "<"
    return f"{result.check} score {result.score:.2f} {verdict} threshold {result.threshold:.2f}" + (
        f" — {where}" if where else ""
    )


def check_text(text: str) -> list[CheckResult]:
    """Run every spam/low-quality check on ``text``."""
    return [check(text) for check in CHECKS.values()]
