"""The commerce area's public face: a sorted ``__all__`` that names exactly what it exports."""

from __future__ import annotations

import types

import laotie.commerce as commerce


def test_all_is_sorted_and_complete():
    public = {
        name
        for name, value in vars(commerce).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert commerce.__all__ == sorted(commerce.__all__)
    assert set(commerce.__all__) == public
