"""Spotting synonym-swapped modern prose (伪原创): rare near-synonyms where a common word fits.

A synonym-swap tool replaces words by other members of their thesaurus entry, picked without
regard to how often people use them or what they collocate with (提高效率 -> 进步效率,
重要意义 -> 首要含义). Writers mostly use the common member of a synonym set; a spun text is
full of rare ones. Each word that 同义词词林 lists with synonyms gets a *surprise*: how many
times (log) its most frequent synonym outnumbers it in general language (jieba's corpus
counts), zero if the word is itself that member or if it collocates with a neighbour as a
dictionary phrase. The check scores the text's mean surprise per covered word.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import jieba

from laotie.trust.lexicon import dictionary_words, synonym_groups, word_frequencies

_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")
#: surprise of one word is capped (nats): a very rare synonym is no surer a swap than a rare one
_CAP_NATS = 6.0
#: a word at least this surprising (nats; its synonym is ~20x commoner) is listed as evidence
EVIDENCE_NATS = 3.0
#: covered words a text needs before its mean surprise means anything
MIN_COVERED = 30


@dataclass(frozen=True)
class Substitution:
    """A word that reads like a swapped synonym: ``likely`` is the common word it replaced."""

    word: str
    likely: str
    start: int
    surprise: float


@dataclass(frozen=True)
class SynonymProfile:
    """A text's covered words, mean surprise (nats) and the most surprising substitutions."""

    covered: int
    mean_surprise: float
    substitutions: tuple[Substitution, ...]


def _in_phrase(prev: str, word: str, nxt: str, known: frozenset[str]) -> bool:
    return (prev + word) in known or (word + nxt) in known


def synonym_profile(text: str, *, words: list[str] | None = None) -> SynonymProfile:
    """Mean surprise of the thesaurus-covered words of ``text`` and its suspicious swaps;
    ``words``: the text's jieba tokens (accurate mode, no HMM) when already cut."""
    groups, freq, known = synonym_groups(), word_frequencies(), dictionary_words()
    words = jieba.lcut(text, HMM=False) if words is None else words
    total, covered, found, offset = 0.0, 0, [], 0
    for index, word in enumerate(words):
        start = offset
        offset += len(word)
        synonyms = groups.get(word)
        if not synonyms or not _WORD.fullmatch(word):
            continue
        covered += 1
        prev = words[index - 1] if index else ""
        nxt = words[index + 1] if index + 1 < len(words) else ""
        if _in_phrase(prev, word, nxt, known):
            continue
        likely = max(synonyms, key=lambda s: freq.get(s, 0))
        ratio = freq.get(likely, 0) / max(freq.get(word, 0), 1)
        surprise = min(math.log(ratio), _CAP_NATS) if ratio > 1 else 0.0
        total += surprise
        if surprise >= EVIDENCE_NATS:
            found.append(Substitution(word, likely, start, surprise))
    mean = total / covered if covered else 0.0
    found.sort(key=lambda s: -s.surprise)
    return SynonymProfile(covered, mean, tuple(found))
