"""The pipeline on a log shaped like real ones: never below its best single source.

The fixture (``laotie.feed.realshaped``) has what the simulator's world lacks: Zipf-like item
popularity, sparse bursty users (median ~20 ratings), explicit 1-5 ratings and no watch
times, written as MovieLens-100k's ``u.data``/``u.item`` and read through the importer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from laotie.core.errors import InvalidInput
from laotie.feed.datasets import read_dataset
from laotie.feed.evaluation import evaluate
from laotie.feed.realshaped import write_real_shaped


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_real_shaped(tmp_path_factory.mktemp("rs") / "ml", users=800, items=1000)


@pytest.fixture(scope="module")
def result(folder: Path) -> dict[str, Any]:
    return evaluate(
        read_dataset("movielens", folder), protocol="stratified", k=10, with_ablation=True
    )


def test_the_fixture_has_the_shape_of_real_logs(folder: Path) -> None:
    log = pl.read_csv(
        folder / "u.data", separator="\t", has_header=False, new_columns=["u", "i", "r", "t"]
    )
    per_user = log.group_by("u").len()["len"]
    assert 15 <= per_user.median() <= 25  # type: ignore[operator]
    assert per_user.max() > 5 * per_user.median()  # type: ignore[operator]  # a heavy tail
    assert sorted(log["r"].unique().to_list()) == [1, 2, 3, 4, 5]
    counts = np.sort(log.group_by("i").len()["len"].to_numpy())[::-1]
    assert counts[: len(counts) // 10].sum() > 0.35 * counts.sum()  # long-tailed popularity
    data = read_dataset("movielens", folder)
    assert set(data.events["type"].unique().to_list()) == {"rate"}
    assert data.events["watch_ms"].null_count() == data.events.height  # no watch times


def test_pipeline_is_not_below_its_best_source(result: dict[str, Any]) -> None:
    gap = result["ablation"]["page_vs_best_source"]
    assert gap["ci95"][1] >= 0, gap  # not significantly below the best single source
    assert result["vs_popular"]["significant"] and result["vs_popular"]["ndcg@10_diff"] > 0
    best = result["vs_best_baseline"]
    assert best["ci95"][1] >= 0, best  # nor below the best of popular, plain ALS and EASE


def test_ablation_scores_every_stage(result: dict[str, Any]) -> None:
    stages = result["ablation"]["stages"]
    assert {"source:ease", "source:als", "source:popular", "prerank", "fused", "page"} <= set(
        stages
    )
    assert stages["page"]["ndcg@10"] == pytest.approx(
        result["methods"]["pipeline"]["ndcg@10"], abs=1e-4
    )
    recall = result["ablation"]["candidates"]
    depths = [recall[f"recall@{n}"] for n in (50, 100, 300, 500)]
    assert depths == sorted(depths) and depths[-1] <= recall["recall@all"] <= 1.0
    assert {"popular", "als_plain", "ease"} <= set(result["methods"])


def test_relevance_all_counts_every_held_out_item(folder: Path) -> None:
    data = read_dataset("movielens", write_real_shaped(folder.parent / "small", users=200))
    every = evaluate(data, protocol="stratified", relevance="all")
    positive = evaluate(data, protocol="stratified", relevance="positive")
    assert every["users_evaluated"] >= positive["users_evaluated"]
    assert every["relevance"] == "all"
    for values in every["methods"].values():
        assert {"recall@10", "precision@10", "ndcg@10", "map@10", "coverage", "novelty"} <= set(
            values
        )
    with pytest.raises(InvalidInput, match="relevance"):
        evaluate(data, relevance="liked")
