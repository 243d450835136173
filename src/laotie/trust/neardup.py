"""Near-duplicate text index: MinHash signatures in a datasketch ``MinHashLSH``.

Keys are integers (internal item ids). Candidates from the LSH buckets are verified by their
estimated Jaccard similarity against the stored signatures, so a result is never only a
bucket collision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from datasketch import MinHashLSH

from laotie.core.errors import Conflict, InvalidInput
from laotie.trust.minhash import MinHasher, jaccard_estimate
from laotie.trust.textfeat import feature_hashes

DEFAULT_NUM_PERM = 128
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True)
class DuplicateMatch:
    """An indexed text similar to the query: its key and the estimated Jaccard similarity."""

    key: int
    similarity: float


class TextIndex:
    """MinHash LSH over texts; ``threshold`` is the Jaccard similarity that counts as near-dup."""

    def __init__(
        self,
        *,
        num_perm: int = DEFAULT_NUM_PERM,
        threshold: float = DEFAULT_THRESHOLD,
        seed: int = 1,
    ) -> None:
        if not 0.0 < threshold < 1.0:
            raise InvalidInput("threshold must be in (0, 1)", field="threshold", limit="(0, 1)")
        self.num_perm = num_perm
        self.threshold = threshold
        self.hasher = MinHasher(num_perm=num_perm, seed=seed)
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._rows: dict[int, int] = {}
        self._keys: list[int] = []
        self._signatures = np.empty((0, num_perm), dtype=np.uint32)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    @property
    def bands(self) -> tuple[int, int]:
        """The LSH's (bands, rows per band)."""
        return self._lsh.b, self._lsh.r

    def signature(self, text: str) -> np.ndarray:
        """The MinHash signature of a text's jieba shingles."""
        return self.hasher.signature(feature_hashes(text))

    def add(self, key: int, signature: np.ndarray) -> None:
        """Index one signature under ``key`` (a key may be indexed once)."""
        self.add_many([key], signature[None, :])

    def add_many(self, keys: Sequence[int], signatures: np.ndarray) -> None:
        """Index many signatures (rows of a uint32 matrix) under their keys."""
        if signatures.shape != (len(keys), self.num_perm):
            raise InvalidInput(
                f"signatures must have shape ({len(keys)}, {self.num_perm})",
                field="signatures",
                limit=self.num_perm,
            )
        self._reserve(len(keys))
        for offset, key in enumerate(keys):
            if key in self._rows:
                raise Conflict(f"key {key} is already indexed", key=key)
            row = self._size
            self._signatures[row] = signatures[offset]
            self._rows[key] = row
            self._keys.append(key)
            self._size += 1
            self._lsh.insert(key, self.hasher.lean(signatures[offset]), check_duplication=False)

    def _reserve(self, extra: int) -> None:
        needed = self._size + extra
        if needed <= len(self._signatures):
            return
        grown = np.empty((max(needed, 2 * len(self._signatures), 1024), self.num_perm), np.uint32)
        grown[: self._size] = self._signatures[: self._size]
        self._signatures = grown

    def query(
        self, signature: np.ndarray, *, limit: int = 10, exclude: int | None = None
    ) -> list[DuplicateMatch]:
        """Indexed keys whose estimated similarity reaches the threshold, most similar first."""
        keys = [k for k in self._lsh.query(self.hasher.lean(signature)) if k != exclude]
        if not keys:
            return []
        rows = np.fromiter((self._rows[k] for k in keys), dtype=np.int64, count=len(keys))
        similarity = jaccard_estimate(signature, self._signatures[rows])
        order = np.argsort(-similarity, kind="stable")
        return [
            DuplicateMatch(keys[i], float(similarity[i]))
            for i in order[:limit]
            if similarity[i] >= self.threshold
        ]

    def brute_force(
        self, signature: np.ndarray, *, limit: int = 10, exclude: int | None = None
    ) -> list[DuplicateMatch]:
        """The same answer as ``query`` by comparing against every stored signature."""
        similarity = jaccard_estimate(signature, self._signatures[: self._size])
        hits = np.nonzero(similarity >= self.threshold)[0]
        hits = hits[np.argsort(-similarity[hits], kind="stable")]
        found = [DuplicateMatch(self._keys[i], float(similarity[i])) for i in hits]
        return [m for m in found if m.key != exclude][:limit]
