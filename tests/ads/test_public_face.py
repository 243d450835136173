"""The ads area's public face: a sorted ``__all__`` that names exactly what it exports."""

from __future__ import annotations

import types

import laotie.ads as ads


def test_all_is_sorted_and_complete():
    public = {
        name
        for name, value in vars(ads).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert ads.__all__ == sorted(ads.__all__)
    assert set(ads.__all__) == public
