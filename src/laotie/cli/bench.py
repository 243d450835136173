"""``laotie bench <area>``: run an area's benchmark from ``benchmarks/<area>.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from laotie.cli._common import console
from laotie.core.errors import NotFound

BENCH_DIR = Path(__file__).resolve().parents[3] / "benchmarks"


def _available() -> list[str]:
    return sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))


def load_benchmark(area: str) -> ModuleType:
    """The module ``benchmarks/<area>.py``, with the benchmarks' shared helpers importable."""
    script = BENCH_DIR / f"{area}.py"
    if not script.is_file():
        raise NotFound(
            f"no benchmark {area!r}; available: {', '.join(_available()) or 'none'} "
            f"(benchmarks ship with the source checkout in {BENCH_DIR})",
            field="area",
        )
    if str(BENCH_DIR) not in sys.path:  # the benchmarks share helpers (``_loadgen``, ...)
        sys.path.insert(0, str(BENCH_DIR))
    spec = importlib.util.spec_from_file_location(f"laotie_bench_{area}", script)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench(
    area: Annotated[str, typer.Argument(help="the area to measure, e.g. ingest, feed, ads")],
    quick: Annotated[bool, typer.Option(help="a small, fast run for smoke-testing")] = False,
) -> None:
    """Measure an area against its peer in the same run. Example: laotie bench ingest --quick"""
    module = load_benchmark(area)
    console.rule(f"laotie bench {area}")
    module.run(quick=quick)
