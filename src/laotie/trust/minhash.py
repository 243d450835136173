"""Vectorised MinHash signatures, bit-compatible with datasketch's ``affine32`` scheme.

``datasketch.MinHash(num_perm, seed, hashfunc=int, scheme="affine32")`` fed the same uint32
feature hashes yields the same signature (a test checks it); computing many signatures at
once in numpy is what makes indexing a million texts practical.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from datasketch import LeanMinHash, MinHash

SCHEME = "affine32"
_EMPTY = np.uint32(0xFFFFFFFF)
#: features hashed per numpy batch; bounds peak memory to about 4 * num_perm * this bytes
_BATCH_FEATURES = 262_144


def _identity(value: int) -> int:
    return int(value)


def _fmix32(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


class MinHasher:
    """Signatures of uint32 feature-hash sets under ``num_perm`` permutations of ``seed``."""

    def __init__(self, *, num_perm: int = 128, seed: int = 1) -> None:
        self.num_perm = num_perm
        self.seed = seed
        template = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME, hashfunc=_identity)
        a, b = template.permutations
        self._a = np.asarray(a, dtype=np.uint32)
        self._b = np.asarray(b, dtype=np.uint32)

    def signature(self, features: np.ndarray) -> np.ndarray:
        """The uint32 signature (length ``num_perm``) of one feature-hash array."""
        return self.signatures([features])[0]

    def signatures(self, feature_sets: Sequence[np.ndarray]) -> np.ndarray:
        """Signatures of many feature-hash arrays: uint32 matrix (len(feature_sets), num_perm)."""
        out = np.full((len(feature_sets), self.num_perm), _EMPTY, dtype=np.uint32)
        start = 0
        while start < len(feature_sets):
            stop, total = start, 0
            while stop < len(feature_sets) and (total == 0 or total < _BATCH_FEATURES):
                total += len(feature_sets[stop])
                stop += 1
            self._fill(out, feature_sets, start, stop)
            start = stop
        return out

    def _fill(
        self, out: np.ndarray, feature_sets: Sequence[np.ndarray], start: int, stop: int
    ) -> None:
        lengths = np.array([len(f) for f in feature_sets[start:stop]], dtype=np.int64)
        rows = np.nonzero(lengths)[0]
        if rows.size == 0:
            return
        flat = np.concatenate([np.asarray(feature_sets[start + int(r)], np.uint32) for r in rows])
        mixed = _fmix32(flat)[:, None]
        permuted = mixed * self._a[None, :] + self._b[None, :]
        offsets = np.concatenate(([0], np.cumsum(lengths[rows])[:-1]))
        out[start + rows] = np.minimum.reduceat(permuted, offsets, axis=0)

    def lean(self, signature: np.ndarray) -> LeanMinHash:
        """A datasketch ``LeanMinHash`` wrapping a signature, for ``MinHashLSH``."""
        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=SCHEME)

    def datasketch_minhash(self, features: np.ndarray) -> MinHash:
        """The same signature computed by datasketch itself (slow; for tests and checks)."""
        sketch = MinHash(num_perm=self.num_perm, seed=self.seed, scheme=SCHEME, hashfunc=_identity)
        sketch.update_batch([int(f) for f in features])
        return sketch


def jaccard_estimate(signature: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Estimated Jaccard similarity of one signature against each row of ``others``."""
    return (others == signature[None, :]).mean(axis=1)
