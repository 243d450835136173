"""Finding a name or keyword stuffed into prose: rare in general language, repeated, and
breaking the words around it.

A stuffer inserts its token at arbitrary points, so many occurrences land inside a word
(社交张伟媒体): take the token out and its neighbours join into one word again. A name the
article is about sits between words, never inside them, however often it is repeated, and
is followed by what follows a name (a verb, a particle, punctuation); a year, a number or a
pronoun is never a candidate. The check scores the most repeated rare token by how much its
occurrences disrupt the words around them and, in modern prose, by how many of them sit
inside a word or before a noun that follows the token only there.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import jieba
import jieba.posseg as pseg

from laotie.trust.lexicon import word_frequencies

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
#: a token this common in general language (jieba's corpus count) is never stuffing
RARE_COUNT = 50
#: occurrences a token needs before it can be stuffing
MIN_REPEATS = 4
_CONTEXT = 4
#: an occurrence this much (nats) more disruptive than a clean insertion splits a word
_SPLIT_NATS = 3.0
#: pronouns, numerals and other function words that repeat in any text
_COMMON_TOKENS = frozenset(
    re.findall(
        "..",
        "我们你们他们她们它们咱们自己大家我的你的他的她的这个那个这些"
        "那些什么怎么如何为何以及或者但是因为所以如果虽然然而并且而且",
    )
)
#: function characters no name or brand starts or ends with (了一, 了他 are not tokens)
_FUNCTION_EDGE = frozenset(
    "的了是一他她它我你在着和与也就都而之其不这那有个为以于上下中得地所被把将"
)
#: what follows a name in prose: verbs, adverbs, prepositions, conjunctions, particles,
#: time words (张伟表示, 张伟也, 张伟和, 张伟的, 张伟昨天); a noun or a numeral does not
_AFTER_NAME_POS = ("v", "d", "p", "c", "u", "t", "y", "e")
_NUMERAL = re.compile(r"[〇零一二三四五六七八九十百千万亿两几第年月日号时分秒]+")


@dataclass(frozen=True)
class Occurrence:
    """One place the token appears; ``disruption`` (nats) is how much less likely its
    neighbourhood is with the token than without it, beyond the token's own cost: about 0
    between words, positive inside a word, negative where it is part of a longer phrase."""

    start: int
    end: int
    disruption: float
    odd_neighbours: bool = False
    next_word: str = ""

    @property
    def splits_word(self) -> bool:
        """True when the token sits inside a word (disruption above ``_SPLIT_NATS``)."""
        return self.disruption > _SPLIT_NATS


@dataclass(frozen=True)
class StuffedToken:
    """The best stuffing candidate of a text and what speaks for it."""

    token: str
    occurrences: tuple[Occurrence, ...]

    def suspicious(self) -> list[Occurrence]:
        """Occurrences inside a word, or before a word no name precedes (a noun, a numeral)
        that follows the token only this once: a term that modifies nouns (社区矫正机构)
        keeps meeting the same few, a stuffed token lands before anything."""
        nexts = Counter(o.next_word for o in self.occurrences)
        name_like = _name_like(self.token)
        return [
            o
            for o in self.occurrences
            if o.splits_word or (name_like and o.odd_neighbours and nexts[o.next_word] == 1)
        ]


@lru_cache(maxsize=65536)
def _cost(text: str) -> float:
    """Cost (negative log-probability, nats) of a short string under jieba's unigram model,
    segmented as jieba segments it (accurate mode, no HMM)."""
    freq, total = word_frequencies(), _total()
    return sum(math.log(total / max(freq.get(word, 0), 1)) for word in jieba.lcut(text, HMM=False))


@lru_cache(maxsize=1)
def _total() -> int:
    return sum(word_frequencies().values())


def _occurrence(text: str, run: tuple[int, int], start: int, end: int) -> Occurrence:
    """How much worse the token's neighbourhood reads with it than without it."""
    left = text[max(run[0], start - _CONTEXT) : start]
    right = text[end : min(run[1], end + _CONTEXT)]
    token = text[start:end]
    if not left or not right:
        odd = bool(right) and not _name_may_precede(right)
        return Occurrence(start, end, 0.0, odd, _first_word(right))
    extra = _cost(left + token + right) - _cost(left + right) - _cost(token)
    return Occurrence(start, end, extra, not _name_may_precede(right), _first_word(right))


@lru_cache(maxsize=65536)
def _first_pos(text: str) -> str:
    """POS tag (jieba's tagger) of the first word of a short string."""
    words = pseg.lcut(text, HMM=False)
    return words[0].flag if words else ""


@lru_cache(maxsize=65536)
def _first_word(text: str) -> str:
    """The first word of a short string as jieba segments it ('' when empty)."""
    words = jieba.lcut(text, HMM=False)
    return words[0] if words else ""


@lru_cache(maxsize=4096)
def _name_like(token: str) -> bool:
    """A name or brand: jieba's tagger (with its HMM) reads its first word as a proper noun
    (张伟, 鑫源优品), unlike a term or a phrase fragment (社区矫正, 本法所称)."""
    words = pseg.lcut(token, HMM=True)
    return bool(words) and words[0].flag.startswith(("nr", "nz", "ns", "nt"))


def _name_may_precede(right: str) -> bool:
    """Whether a name or a brand can stand before ``right`` (a verb, adverb, particle...)."""
    return _first_pos(right).startswith(_AFTER_NAME_POS)


def _spots(text: str, token: str) -> list[int]:
    """Start offsets of the non-overlapping occurrences of ``token`` in ``text``."""
    found, start = [], text.find(token)
    while start >= 0:
        found.append(start)
        start = text.find(token, start + len(token))
    return found


def candidates(text: str) -> list[StuffedToken]:
    """Repeated rare CJK tokens of two to four characters, each with its occurrences."""
    runs = [(m.start(), m.end()) for m in _CJK_RUN.finditer(text)]
    counts: Counter[str] = Counter()
    for a, b in runs:
        for n in (2, 3, 4):
            counts.update(text[i : i + n] for i in range(a, b - n + 1))
    freq = word_frequencies()
    out = []
    for token, count in counts.items():
        if count < MIN_REPEATS or token in _COMMON_TOKENS or _NUMERAL.fullmatch(token):
            continue
        if token[0] in _FUNCTION_EDGE or token[-1] in _FUNCTION_EDGE:
            continue
        if freq.get(token, 0) >= RARE_COUNT:
            continue
        spots = _spots(text, token)
        lefts = Counter(text[s - 1] if s else "" for s in spots)
        rights = Counter(text[s + len(token) : s + len(token) + 1] for s in spots)
        for side in (lefts, rights):
            for key in [k for k in side if not _CJK_RUN.fullmatch(k)]:
                del side[key]
        # a part of a longer repeated phrase shares its neighbour almost every time
        if (
            max(lefts.values(), default=0) > count / 2
            or max(rights.values(), default=0) > count / 2
        ):
            continue
        occurrences = []
        for spot in spots:
            run = next(r for r in runs if r[0] <= spot < r[1])
            occurrences.append(_occurrence(text, run, spot, spot + len(token)))
        out.append(StuffedToken(token, tuple(occurrences)))
    return out


#: a stuffed token disrupts its neighbourhood this much in total (nats, each capped) ...
_FULL_DISRUPTION = 20.0
#: ... and this much on average per occurrence, for a certain call
_FULL_MEAN = 3.0
_CAP_NATS = 8.0
#: suspicious occurrences, and their share, of a certainly stuffed token
_FULL_SUSPICIOUS = 6
_FULL_SHARE = 0.6


def stuffing_score(candidate: StuffedToken, *, modern: bool = True) -> float:
    """Score in [0, 1]: the stronger of (a) total and mean disruption, the weaker of the two
    counting, and (b) in modern prose only (the tagger reads modern grammar), the number and
    share of suspicious occurrences, the weaker counting."""
    values = [o.disruption for o in candidate.occurrences]
    total = sum(min(max(v, 0.0), _CAP_NATS) for v in values)
    by_disruption = min(total / _FULL_DISRUPTION, sum(values) / len(values) / _FULL_MEAN)
    suspicious = len(candidate.suspicious()) if modern else 0
    by_place = min(suspicious / _FULL_SUSPICIOUS, suspicious / len(values) / _FULL_SHARE)
    return max(0.0, min(1.0, max(by_disruption, by_place)))


def best_stuffed(text: str, *, modern: bool = True) -> tuple[StuffedToken | None, float]:
    """The most likely stuffed token of ``text`` and its score (None, 0.0 when none)."""
    scored = [(stuffing_score(c, modern=modern), c) for c in candidates(text)]
    if not scored:
        return None, 0.0
    score, best = max(scored, key=lambda pair: (pair[0], len(pair[1].token)))
    return best, score
