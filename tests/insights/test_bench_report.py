"""The report benchmark's quick mode: both engines agree on a small synthetic lake."""

from __future__ import annotations

import pytest

from laotie.cli.bench import load_benchmark


@pytest.mark.slow
def test_quick_benchmark_runs_and_both_engines_agree() -> None:
    result = load_benchmark("report").run(quick=True)  # raises if laotie and DuckDB disagree
    assert result["events"] == 300_000
    assert result["laotie_s"] > 0 and result["duckdb_sql_s"] > 0
