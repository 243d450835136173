"""The IVF inner-product index: exactness when every list is probed, recall, artefacts."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from laotie.core.errors import ArtefactError
from laotie.feed.ann import AnnIndex, auto_lists


def _vectors(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)


def _exact(vectors: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :k]


def test_probing_every_list_is_exact() -> None:
    vectors, queries = _vectors(3000), _vectors(20, seed=1)
    ids = np.arange(3000, dtype=np.int64) + 1000
    index = AnnIndex(lists=8, probes=8).build(vectors, ids)
    found, scores = index.search(queries, 50)
    assert np.array_equal(found, _exact(vectors, queries, 50) + 1000)
    assert np.all(np.diff(scores, axis=1) <= 1e-5)  # best first


def test_single_threaded_build_is_the_same_index_and_restores_threads() -> None:
    vectors, queries = _vectors(5000), _vectors(10, seed=3)
    before = faiss.omp_get_max_threads()
    one = AnnIndex(lists=16, probes=4).build(vectors, np.arange(5000), threads=1)
    assert faiss.omp_get_max_threads() == before
    every = AnnIndex(lists=16, probes=4).build(vectors, np.arange(5000))
    assert np.array_equal(one.search(queries, 20)[0], every.search(queries, 20)[0])


def test_default_probes_keep_most_of_the_exact_top() -> None:
    vectors, queries = _vectors(40_000, d=32), _vectors(30, d=32, seed=2)
    index = AnnIndex().build(vectors, np.arange(40_000))
    assert index.index_.nlist == auto_lists(40_000) == 100
    found, _ = index.search(queries, 200)
    exact = _exact(vectors, queries, 200)
    recall = np.mean([len(set(f) & set(e)) / 200 for f, e in zip(found, exact, strict=True)])
    assert recall > 0.6


def test_round_trip_pads_and_refuses_foreign_or_corrupt_blobs() -> None:
    vectors = _vectors(30)
    index = AnnIndex().build(vectors, np.arange(30))
    again = AnnIndex.from_bytes(index.to_bytes(), np.arange(30))
    ids, scores = again.search(vectors[:1], 40)  # more than indexed: padded
    assert (ids[0, 30:] == -1).all() and np.isneginf(scores[0, 30:]).all()
    assert ids[0, 0] == 0
    with pytest.raises(ArtefactError, match="size"):
        AnnIndex.from_bytes(index.to_bytes(), np.arange(29))
    with pytest.raises(ArtefactError, match="corrupt"):
        AnnIndex.from_bytes(np.frombuffer(b"not an index", np.uint8), np.arange(30))
    hnsw = faiss.IndexHNSWFlat(16, 8, faiss.METRIC_INNER_PRODUCT)
    hnsw.add(vectors)
    blob = np.asarray(faiss.serialize_index(hnsw), dtype=np.uint8)
    with pytest.raises(ArtefactError, match="laotie train"):
        AnnIndex.from_bytes(blob, np.arange(30))


def test_empty_index_answers_padding() -> None:
    index = AnnIndex().build(np.empty((0, 8), np.float32), np.empty(0, np.int64))
    ids, scores = index.search(np.ones((2, 8), np.float32), 5)
    assert (ids == -1).all() and np.isneginf(scores).all()
    assert index.vectors().shape == (0, 8)


def test_vectors_come_back_exactly_in_id_order() -> None:
    vectors = _vectors(2000)
    index = AnnIndex(lists=10).build(vectors, np.arange(2000) + 7)
    back = AnnIndex.from_bytes(index.to_bytes(), np.arange(2000) + 7)
    assert np.array_equal(back.vectors(), vectors)
    assert (
        back.search(vectors[:3], 5)[0][:, 0].tolist()
        == index.search(vectors[:3], 5)[0][:, 0].tolist()
    )
