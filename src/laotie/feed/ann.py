"""An approximate nearest-neighbour index (faiss HNSW, inner product) over item vectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from laotie.core.errors import ArtefactError


class HnswIndex:
    """Maximum-inner-product search over ``vectors`` whose rows are the items ``ids``."""

    def __init__(self, *, m: int = 16, ef_construction: int = 40, ef_search: int = 64) -> None:
        self.m = m
        self.ef_construction = ef_construction
        self.ef_search = ef_search

    def build(self, vectors: np.ndarray, ids: np.ndarray) -> HnswIndex:
        """Index ``vectors`` (n x d float32); ``ids`` maps rows to item ids."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexHNSWFlat(vectors.shape[1], self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        if len(vectors):
            index.add(vectors)
        self._attach(index, ids)
        return self

    def _attach(self, index: Any, ids: np.ndarray) -> None:
        index.hnsw.efSearch = self.ef_search  # type: ignore[attr-defined]
        self.index_ = index
        self.ids_ = np.asarray(ids, dtype=np.int64)

    def search(self, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``n`` item ids and inner products per query row (padded -1 / -inf)."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        if not len(self.ids_):
            return (
                np.full((len(queries), n), -1, np.int64),
                np.full((len(queries), n), -np.inf, np.float32),
            )
        if self.index_.hnsw.efSearch < n:  # type: ignore[attr-defined]
            self.index_.hnsw.efSearch = n  # type: ignore[attr-defined]
        scores, rows = self.index_.search(queries, n)  # type: ignore[attr-defined]
        self.index_.hnsw.efSearch = max(self.ef_search, 1)  # type: ignore[attr-defined]
        found = rows >= 0
        ids = np.where(found, self.ids_[np.where(found, rows, 0)], -1)
        return ids.astype(np.int64), np.where(found, scores, -np.inf).astype(np.float32)

    def to_bytes(self) -> np.ndarray:
        """The index serialised as a uint8 array (for .npz artefacts)."""
        import faiss

        return np.asarray(faiss.serialize_index(self.index_), dtype=np.uint8)

    @classmethod
    def from_bytes(cls, blob: np.ndarray, ids: np.ndarray, *, ef_search: int = 64) -> HnswIndex:
        """An index from ``to_bytes`` output; ``ArtefactError`` if it does not deserialise."""
        import faiss

        try:
            index = faiss.deserialize_index(np.asarray(blob, dtype=np.uint8))
        except RuntimeError as exc:
            raise ArtefactError(f"corrupt ANN index: {exc}") from exc
        if index.ntotal != len(ids):
            raise ArtefactError("ANN index size does not match its item ids")
        out = cls(ef_search=ef_search)
        out._attach(index, ids)
        return out
