"""The report benchmark's quick mode: both engines agree on a small synthetic lake."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "report.py"


@pytest.mark.slow
def test_quick_benchmark_runs_and_both_engines_agree() -> None:
    spec = importlib.util.spec_from_file_location("bench_report", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.run(quick=True)  # raises if laotie and DuckDB disagree
    assert result["events"] == 300_000
    assert result["laotie_s"] > 0 and result["duckdb_sql_s"] > 0
