"""MinHash signatures match datasketch; the LSH index finds near-duplicates like brute force."""

from __future__ import annotations

import numpy as np
import pytest

from laotie.core.errors import Conflict, InvalidInput
from laotie.trust import TextIndex
from laotie.trust.minhash import MinHasher
from laotie.trust.spin import spin
from laotie.trust.textfeat import feature_hashes, hamming64, simhash64, tokens

from .fixtures import CLASSICAL, MODERN


def test_vectorised_signatures_equal_datasketch():
    hasher = MinHasher(num_perm=64, seed=7)
    rng = np.random.default_rng(0)
    sets = [rng.integers(0, 2**32, size=n, dtype=np.uint32) for n in (0, 1, 5, 80, 300)]
    matrix = hasher.signatures(sets)
    for row, features in zip(matrix, sets, strict=True):
        assert np.array_equal(row, hasher.datasketch_minhash(features).hashvalues)


def test_index_finds_spun_copy_not_unrelated_text():
    paragraphs = [p for p in CLASSICAL.split("\n") if len(p) > 60]
    index = TextIndex()
    for key, paragraph in enumerate(paragraphs):
        index.add(key, index.signature(paragraph))
    index.add(99, index.signature(MODERN))
    copy = spin(paragraphs[0], rate=0.2, seed=1)
    assert copy != paragraphs[0]
    found = index.query(index.signature(copy))
    assert found and found[0].key == 0 and found[0].similarity >= index.threshold
    assert index.query(index.signature(copy)) == index.brute_force(index.signature(copy))
    assert index.query(index.signature("完全无关的一段话，讲的是今天的天气和晚饭吃什么。")) == []
    assert [m.key for m in index.query(index.signature(MODERN), exclude=99)] == []


def test_index_rejects_bad_input():
    index = TextIndex(num_perm=32)
    index.add(1, index.signature(MODERN))
    with pytest.raises(Conflict):
        index.add(1, index.signature(MODERN))
    with pytest.raises(InvalidInput):
        index.add_many([2, 3], np.zeros((1, 32), np.uint32))
    with pytest.raises(InvalidInput):
        TextIndex(threshold=1.5)


def test_features_ignore_punctuation_and_width():
    assert np.array_equal(feature_hashes("你好，世界！ABC"), feature_hashes("你好 世界 ａｂｃ"))
    assert feature_hashes("，。！").size == 0
    near = simhash64(tokens(CLASSICAL))
    assert hamming64(near, simhash64(tokens(spin(CLASSICAL, rate=0.1, seed=2)))) < 20
    assert hamming64(near, simhash64(tokens(MODERN))) > 10
