"""``content``: TF-IDF similarity (jieba tokens of title, category, caption) for cold items.

The index holds the least-exposed and newest items (``max_items``); a user's profile is the
sum of the TF-IDF vectors of their recent positives, so a user with a few positives gets
similar items that collaborative sources cannot reach yet.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Self

import numpy as np
from scipy import sparse

from laotie.feed.sources.base import Source, TrainingSet, top_n
from laotie.feed.sources.fresh import exposure_counts

_STOP = frozenset(" \t\r\n，。！？、：；“”‘’（）()[]【】《》,.!?:;'\"-_/#@|·…~")


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=400_000)
def tokenize(text: str) -> tuple[str, ...]:
    """jieba tokens of ``text``, lower-cased, punctuation and whitespace dropped."""
    return tuple(
        token.lower() for token in _jieba().lcut(text) if token.strip() and token not in _STOP
    )


class ContentSource(Source):
    """Cold items closest to the user's recent positives in TF-IDF space."""

    name = "content"
    learned = ("items_", "vocab_", "idf_", "data_", "indices_", "indptr_")

    def __init__(self, *, max_items: int = 20_000, profile_items: int = 10) -> None:
        self.max_items = max_items
        self.profile_items = profile_items

    def fit(self, training: TrainingSet) -> Self:
        """Index the least exposed, newest valid items."""
        catalog = training.catalog
        counts = exposure_counts(training.pairs, catalog.size)
        valid = np.flatnonzero(catalog.valid)
        order = np.lexsort((-catalog.created_at_ms[valid], counts[valid]))
        items = valid[order][: self.max_items]
        docs = [tokenize(text) for text in catalog.text[items]]
        vocab: dict[str, int] = {}
        rows, cols = [], []
        for row, tokens in enumerate(docs):
            for token in tokens:
                rows.append(row)
                cols.append(vocab.setdefault(token, len(vocab)))
        counts_matrix = sparse.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(items), len(vocab))
        )
        counts_matrix.sum_duplicates()
        df = np.bincount(counts_matrix.indices, minlength=len(vocab))
        self.idf_ = (np.log((1 + len(items)) / (1 + df)) + 1.0).astype(np.float32)
        matrix = _normalize(counts_matrix.multiply(self.idf_[None, :]).tocsr())
        self.items_ = items.astype(np.int64)
        self.vocab_ = np.array(list(vocab), dtype=str) if vocab else np.empty(0, dtype="<U1")
        self.data_, self.indices_, self.indptr_ = matrix.data, matrix.indices, matrix.indptr
        self.loaded()
        return self

    def loaded(self) -> None:
        """Rebuild the term lookup and the sparse matrix."""
        self._terms = {term: i for i, term in enumerate(self.vocab_.tolist())}
        self._matrix = sparse.csr_matrix(
            (self.data_, self.indices_, self.indptr_), shape=(len(self.items_), len(self.vocab_))
        )

    def vectorize(self, texts: list[str]) -> sparse.csr_matrix:
        """L2-normalised TF-IDF rows for ``texts`` (unknown terms ignored)."""
        rows, cols = [], []
        for row, text in enumerate(texts):
            for token in tokenize(text):
                col = self._terms.get(token)
                if col is not None:
                    rows.append(row)
                    cols.append(col)
        counts = sparse.csr_matrix(
            (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(texts), len(self.vocab_))
        )
        counts.sum_duplicates()
        return _normalize(counts.multiply(self.idf_[None, :]).tocsr())

    def item_vector(self, item_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Term columns and L2-normalised TF-IDF weights of one catalog item (cached)."""
        cache = self.__dict__.setdefault("_item_cache", {})
        found = cache.get(item_id)
        if found is None:
            text = self.catalog.text[item_id] if self.catalog is not None else ""
            cols = [c for c in (self._terms.get(t) for t in tokenize(text)) if c is not None]
            columns, counts = np.unique(np.asarray(cols, np.int64), return_counts=True)
            weights = counts * self.idf_[columns]
            norm = float(np.sqrt((weights**2).sum()))
            found = (columns, (weights / norm if norm else weights).astype(np.float32))
            if len(cache) > 200_000:
                cache.clear()
            cache[item_id] = found
        return found

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Indexed items by cosine similarity to the user's profile."""
        recent: np.ndarray | list[int] = (
            self.state.recent_positives(user_id) if self.state is not None else []
        )
        recent = np.asarray(recent, dtype=np.int64)[-self.profile_items :]
        if not len(recent) or self.catalog is None or not len(self.items_):
            return top_n(np.empty(0, np.int64), np.empty(0, np.float32), n)
        recent = recent[recent < self.catalog.size]
        parts = [self.item_vector(int(item)) for item in recent]
        profile = np.zeros(len(self.vocab_), np.float32)
        for cols, weights in parts:
            np.add.at(profile, cols, weights)
        scores = self._matrix @ profile
        keep = (scores > 0) & ~np.isin(self.items_, recent)
        return top_n(self.items_[keep], scores[keep].astype(np.float32), n)


def _normalize(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).astype(np.float32) @ matrix)
