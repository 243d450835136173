"""The engine's public face: a sorted ``__all__`` that names exactly what it exports, and the
engine names ``--engine`` accepts."""

from __future__ import annotations

import types

import pytest

import laotie.engine as engine
from laotie.core.errors import InvalidInput


def test_all_is_sorted_and_complete() -> None:
    public = {
        name
        for name, value in vars(engine).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert engine.__all__ == sorted(engine.__all__)
    assert set(engine.__all__) == public


def test_an_unknown_engine_names_the_known_ones() -> None:
    assert engine.check_engine("spark") == "spark"
    with pytest.raises(InvalidInput, match="unknown engine 'ray'; known: local, spark"):
        engine.check_engine("ray")
