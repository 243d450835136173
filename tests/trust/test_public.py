"""The trust area's public face: a sorted ``__all__`` naming exactly its public names."""

from __future__ import annotations

import types

import laotie.trust as trust


def test_all_is_sorted_and_complete():
    assert trust.__all__ == sorted(trust.__all__)
    public = {
        name
        for name, value in vars(trust).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(trust.__all__)
