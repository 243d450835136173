"""An approximate nearest-neighbour index (faiss IVF-Flat, inner product) over item vectors.

IVF-Flat partitions the vectors into ``lists`` k-means cells and scans the ``probes`` cells
whose centroids score best against the query. On ALS vectors of 174,000 items (64 factors,
top 300 by inner product) it builds in 0.2 s where faiss HNSW (M 16, efConstruction 40)
took 4 s, and at 0.6 ms a query it finds 70% of the exact top 300 where HNSW found 65%:
graph indexes are built for distances, and maximum inner product is not one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from laotie.core.errors import ArtefactError

#: k-means training points per list (faiss wants at least 39)
_POINTS_PER_LIST = 64


def auto_lists(count: int) -> int:
    """The default number of lists for ``count`` vectors: about sqrt(count) / 2."""
    by_size = max(1, round(math.sqrt(count) / 2))
    return max(1, min(by_size, count // 39 or 1))


class AnnIndex:
    """Maximum-inner-product search over ``vectors`` whose rows are the items ``ids``."""

    def __init__(self, *, lists: int = 0, probes: int = 48, seed: int = 0) -> None:
        self.lists = lists
        self.probes = probes
        self.seed = seed

    def build(self, vectors: np.ndarray, ids: np.ndarray, *, threads: int = 0) -> AnnIndex:
        """Index ``vectors`` (n x d float32); ``ids`` maps rows to item ids; k-means runs on
        ``threads`` OpenMP threads (0: faiss's default, every core)."""
        import faiss

        if not threads:
            return self._build(vectors, ids)
        previous = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(threads)  # this thread's setting only (an OpenMP ICV)
        try:
            return self._build(vectors, ids)
        finally:
            faiss.omp_set_num_threads(previous)

    def _build(self, vectors: np.ndarray, ids: np.ndarray) -> AnnIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        count, dim = vectors.shape
        lists = min(self.lists or auto_lists(count), max(count, 1))
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, lists, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = self.seed
        index.cp.min_points_per_centroid = 1  # small catalogs: no warning, fewer points a list
        if count:
            rng = np.random.default_rng(self.seed)
            sample = vectors[rng.permutation(count)[: lists * _POINTS_PER_LIST]]
            index.train(sample)
            index.add(vectors)
        self._attach(index, ids)
        return self

    def _attach(self, index: Any, ids: np.ndarray) -> None:
        self.index_ = index
        self.ids_ = np.asarray(ids, dtype=np.int64)

    def search(self, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` item ids and inner products per query row (padded -1 / -inf)."""
        import faiss

        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if not len(self.ids_):
            return (
                np.full((len(queries), n), -1, np.int64),
                np.full((len(queries), n), -np.inf, np.float32),
            )
        # per-call parameters: concurrent requests never change a setting another one reads
        params = faiss.SearchParametersIVF()
        params.nprobe = min(self.probes, self.index_.nlist)
        scores, rows = self.index_.search(queries, n, params=params)
        found = rows >= 0
        ids = np.where(found, self.ids_[np.where(found, rows, 0)], -1)
        return ids.astype(np.int64), np.where(found, scores, -np.inf).astype(np.float32)

    def vectors(self) -> np.ndarray:
        """The indexed vectors in the order of ``ids`` (IVF-Flat stores them exactly)."""
        index = self.index_
        if not index.ntotal:
            return np.zeros((0, index.d), np.float32)
        index.make_direct_map()
        try:
            return np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)
        finally:
            index.make_direct_map(False)  # drop the map again

    def to_bytes(self) -> np.ndarray:
        """The index serialised as a uint8 array (for .npz artefacts)."""
        import faiss

        return np.asarray(faiss.serialize_index(self.index_), dtype=np.uint8)

    @classmethod
    def from_bytes(cls, blob: np.ndarray, ids: np.ndarray, *, probes: int = 48) -> AnnIndex:
        """An index from ``to_bytes`` output; ``ArtefactError`` if it does not deserialise."""
        import faiss

        try:
            index = faiss.deserialize_index(np.asarray(blob, dtype=np.uint8))
        except RuntimeError as exc:
            raise ArtefactError(f"corrupt ANN index: {exc}") from exc
        if index.ntotal != len(ids):
            raise ArtefactError("ANN index size does not match its item ids")
        if not isinstance(index, faiss.IndexIVF):
            raise ArtefactError(
                "ANN index is not IVF (written by an older laotie): run `laotie train`"
            )
        out = cls(probes=probes)
        out._attach(index, ids)
        return out
