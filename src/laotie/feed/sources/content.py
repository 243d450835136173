"""``content``: TF-IDF similarity (jieba tokens of title, category, caption) for cold items.

The index holds the least-exposed and newest items (``max_items``); a user's profile is the
sum of the TF-IDF vectors of their recent positives, so a user with a few positives gets
similar items that collaborative sources cannot reach yet.
"""

from __future__ import annotations

import logging
from collections import Counter
from functools import lru_cache
from typing import Self

import numpy as np
from scipy import sparse

from laotie.feed.sources.base import Source, TrainingSet, top_n
from laotie.feed.sources.fresh import exposure_counts

#: the longest term the seed matcher tries (jieba terms rarely exceed it)
_LONGEST_TERM = 8
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


def match_terms(text: str, terms: dict[str, int], longest: int) -> list[int]:
    """Columns of ``terms`` found in ``text`` by forward maximum matching (longest first)."""
    out: list[int] = []
    i, end = 0, len(text)
    while i < end:
        for size in range(min(longest, end - i), 0, -1):
            column = terms.get(text[i : i + size])
            if column is not None:
                out.append(column)
                i += size
                break
        else:
            i += 1
    return out


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
        self._rows = {item: row for row, item in enumerate(self.items_.tolist())}
        self._longest = min(max(map(len, self._terms), default=1), _LONGEST_TERM)
        self._matrix = sparse.csr_matrix(
            (self.data_, self.indices_, self.indptr_), shape=(len(self.items_), len(self.vocab_))
        )

    def item_vector(self, item_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Term columns and L2-normalised TF-IDF weights of one catalog item (cached).

        The item's text is matched against the index's own jieba terms by forward maximum
        matching: a profile only counts indexed terms, and this finds them about ten times
        faster than segmenting the text again (seed items are mostly not in the index)."""
        cache = self.__dict__.setdefault("_item_cache", {})
        found = cache.get(item_id)
        if found is None:
            text = self.catalog.text[item_id] if self.catalog is not None else ""
            found_terms = Counter(match_terms(str(text).lower(), self._terms, self._longest))
            columns = np.fromiter(found_terms.keys(), np.int64, len(found_terms))
            counts = np.fromiter(found_terms.values(), np.float32, len(found_terms))
            weights = counts * self.idf_[columns]
            norm = float(np.sqrt((weights**2).sum()))
            found = (columns, (weights / norm if norm else weights).astype(np.float32))
            if len(cache) > 200_000:
                cache.clear()
            cache[item_id] = found
        return found

    def similar(self, item_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Indexed items by cosine similarity to one item's text (itself excluded)."""
        if self.catalog is None or not len(self.items_) or not 0 <= item_id < self.catalog.size:
            return top_n(np.empty(0, np.int64), np.empty(0, np.float32), n)
        columns, weights = self.item_vector(item_id)
        profile = np.bincount(columns, weights=weights, minlength=len(self.vocab_))
        scores = (self._matrix @ profile.astype(np.float32)).astype(np.float32)
        keep = np.flatnonzero((scores > 0) & (self.items_ != item_id))
        return top_n(self.items_[keep], scores[keep], n)

    def recommend_one(self, user_id: int, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Indexed items by cosine similarity to the user's profile."""
        recent: np.ndarray | list[int] = (
            self.state.recent_positives(user_id) if self.state is not None else []
        )
        recent = np.asarray(recent, dtype=np.int64)[-self.profile_items :]
        if not len(recent) or self.catalog is None or not len(self.items_):
            return top_n(np.empty(0, np.int64), np.empty(0, np.float32), n)
        recent = recent[recent < self.catalog.size]
        parts = [self.item_vector(item) for item in recent.tolist()]
        columns = np.concatenate([cols for cols, _ in parts])
        weights = np.concatenate([w for _, w in parts])
        profile = np.bincount(columns, weights=weights, minlength=len(self.vocab_))
        scores = (self._matrix @ profile.astype(np.float32)).astype(np.float32)
        rows = self._rows.get
        for item in recent.tolist():  # the user's own positives are not recommended back
            row = rows(item)
            if row is not None:
                scores[row] = 0.0
        keep = np.flatnonzero(scores > 0)
        return top_n(self.items_[keep], scores[keep], n)


def _normalize(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms).astype(np.float32) @ matrix)
