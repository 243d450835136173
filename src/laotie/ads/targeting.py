"""Targeting index: per dimension value, a boolean array over the active campaigns.

A campaign with no values on a dimension is open on it. Category targeting is by path
prefix: a campaign targeting ``美食`` reaches a user interested in ``美食/家常菜``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

_CONTEXT_CACHE = 4096


@lru_cache(maxsize=65_536)
def category_prefixes(path: str) -> tuple[str, ...]:
    """Every ancestor path of a category path, itself included (``a/b`` -> ``a``, ``a/b``)."""
    parts = [p for p in path.split("/") if p]
    return tuple("/".join(parts[: i + 1]) for i in range(len(parts)))


@dataclass
class _Dimension:
    open_: np.ndarray
    by_value: dict[str, np.ndarray]

    @classmethod
    def build(cls, values: Sequence[Sequence[str]]) -> _Dimension:
        n = len(values)
        open_ = np.array([len(v) == 0 for v in values], dtype=bool)
        by_value: dict[str, np.ndarray] = {}
        for j, vs in enumerate(values):
            for value in vs:
                arr = by_value.get(value)
                if arr is None:
                    arr = by_value[value] = np.zeros(n, dtype=bool)
                arr[j] = True
        return cls(open_=open_, by_value=by_value)

    def matched(self, values: Iterable[str]) -> np.ndarray | None:
        """Campaigns that name one of ``values`` (None when none does)."""
        hit: np.ndarray | None = None
        for value in values:
            arr = self.by_value.get(value)
            if arr is not None:
                hit = arr.copy() if hit is None else np.logical_or(hit, arr, out=hit)
        return hit

    def allowed(self, values: Iterable[str]) -> np.ndarray:
        """Campaigns open on this dimension or naming one of ``values``."""
        hit = self.matched(values)
        return self.open_ if hit is None else hit | self.open_


class TargetingIndex:
    """Which campaigns may serve to a user, as boolean arrays over campaign positions."""

    def __init__(
        self,
        *,
        categories: Sequence[Sequence[str]],
        kinds: Sequence[Sequence[str]],
        segments: Sequence[Sequence[str]],
        regions: Sequence[Sequence[str]],
    ) -> None:
        lengths = {len(categories), len(kinds), len(segments), len(regions)}
        if len(lengths) != 1:
            raise ValueError("every targeting dimension needs one entry per campaign")
        self.size = len(categories)
        self._categories = _Dimension.build([[p.strip("/") for p in c] for c in categories])
        self._kinds = _Dimension.build(kinds)
        self._segments = _Dimension.build(segments)
        self._regions = _Dimension.build(regions)
        self._context_cache: dict[tuple[str | None, str | None, str | None], np.ndarray] = {}

    def _context(self, kind: str | None, segment: str | None, region: str | None) -> np.ndarray:
        # kind x segment x region combinations are few: their mask is computed once each
        key = (kind, segment, region)
        mask = self._context_cache.get(key)
        if mask is None:
            mask = self._kinds.allowed([kind] if kind else [])
            mask = mask & self._segments.allowed([segment] if segment else [])
            mask = mask & self._regions.allowed([region] if region else [])
            if len(self._context_cache) >= _CONTEXT_CACHE:
                self._context_cache.clear()
            self._context_cache[key] = mask
        return mask

    def lookup(
        self,
        *,
        interests: Iterable[str] = (),
        kind: str | None = None,
        segment: str | None = None,
        region: str | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(eligible, interest_match) boolean arrays for a user and page context.

        ``interest_match`` marks campaigns whose category targeting names one of the user's
        interests (or an ancestor of one); it feeds the pCTR model.
        """
        prefixes = {p for path in interests for p in category_prefixes(path)}
        match = self._categories.matched(prefixes)
        if match is None:
            match = np.zeros(self.size, dtype=bool)
        eligible = match | self._categories.open_
        eligible &= self._context(kind, segment, region)
        return eligible, match
