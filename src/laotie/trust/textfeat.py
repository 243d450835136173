"""Text features shared by the detectors: normalisation, jieba tokens, shingles, SimHash.

Near-duplicate detection works on sets of *features*: jieba word unigrams and bigrams of the
normalised text (punctuation, spaces and case removed), hashed to 32-bit integers.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence

import jieba
import numpy as np

log = logging.getLogger(__name__)
jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\w]+", re.UNICODE)
_MASK64 = (1 << 64) - 1


def normalize(text: str) -> str:
    """NFKC-fold (full-width -> half-width letters/digits), lower-case, drop non-word chars."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return "".join(_KEEP.findall(folded))


def tokens(text: str) -> list[str]:
    """jieba tokens of the normalised text (accurate mode, no HMM for stable output)."""
    norm = normalize(text)
    if not norm:
        return []
    return [t for t in jieba.lcut(norm, HMM=False) if t.strip()]


def shingles(words: Sequence[str]) -> set[str]:
    """Word unigrams and bigrams (``a|b``) of a token sequence."""
    grams = set(words)
    grams.update(f"{a}|{b}" for a, b in itertools.pairwise(words))
    return grams


def hash32(feature: str) -> int:
    """Stable 32-bit hash of a feature (blake2b; independent of PYTHONHASHSEED)."""
    return int.from_bytes(hashlib.blake2b(feature.encode("utf-8"), digest_size=4).digest(), "big")


def feature_hashes(text: str) -> np.ndarray:
    """Sorted unique uint32 hashes of the text's shingles (empty for an empty text)."""
    grams = shingles(tokens(text))
    return np.unique(np.fromiter((hash32(g) for g in grams), dtype=np.uint32, count=len(grams)))


def simhash64(words: Iterable[str]) -> int:
    """64-bit SimHash of a token sequence, each token weighted by its count."""
    weights = np.zeros(64, dtype=np.int64)
    bits = np.arange(64, dtype=np.uint64)
    for word in words:
        value = int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "big")
        signs = ((np.uint64(value) >> bits) & np.uint64(1)).astype(np.int64) * 2 - 1
        weights += signs
    out = 0
    for i in range(64):
        if weights[i] > 0:
            out |= 1 << i
    return out & _MASK64


def hamming64(a: int, b: int) -> int:
    """Number of differing bits between two 64-bit fingerprints."""
    return (a ^ b).bit_count()
