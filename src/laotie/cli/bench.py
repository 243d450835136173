"""``laotie bench <area>``: run an area's benchmark from ``benchmarks/<area>.py``."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer

from laotie.cli._common import console
from laotie.core.errors import InvalidInput, NotFound

#: the most serving processes a scale-out run starts (as `laotie serve --workers`)
MAX_PROCESSES = 64
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
    processes: Annotated[
        str | None,
        typer.Option(
            help="scale-out: serving processes to compare over HTTP, e.g. 1,2,4 (ingest, feed)"
        ),
    ] = None,
) -> None:
    """Measure an area against its peer in the same run. Example: laotie bench ingest --quick"""
    counts = _process_counts(processes) if processes is not None else None
    module = load_benchmark(area)
    if counts and "processes" not in inspect.signature(module.run).parameters:
        raise InvalidInput(f"--processes: bench {area} has no scale-out runs", field="processes")
    console.rule(f"laotie bench {area}")
    if counts:
        module.run(quick=quick, processes=counts)
    else:
        module.run(quick=quick)


def _process_counts(value: str) -> list[int]:
    """``"1,2,4"`` -> [1, 2, 4]; InvalidInput naming the option otherwise."""
    try:
        counts = [int(part) for part in value.split(",")]
    except ValueError:
        counts = []
    if not counts or not all(1 <= c <= MAX_PROCESSES for c in counts):
        raise InvalidInput(
            f"--processes takes counts of 1..{MAX_PROCESSES} separated by commas, got {value!r}",
            field="processes",
            limit=MAX_PROCESSES,
        )
    return counts
