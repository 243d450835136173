"""``laotie train --engine spark``: ALS fitted by Spark MLlib, the same bundle as the
single-process trainer, and quality within noise of it on the same split."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from pyspark.sql import SparkSession
from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.clock import ManualClock
from laotie.core.feedconfig import FeedConfig
from laotie.core.settings import Settings
from laotie.engine import spark_factorise, spark_map
from laotie.engine.quality import hold_out, holdout_scores, mean_interval
from laotie.feed.bundle import load_bundle, save_bundle
from laotie.feed.catalog import Catalog
from laotie.feed.metrics import paired_bootstrap
from laotie.feed.pipeline import Pipeline
from laotie.feed.sources import AlsSource
from laotie.feed.training import train
from laotie.sim.logged import logged_world


def test_a_spark_trained_version_has_the_same_files_and_serves_after_loading(
    spark: SparkSession, tmp_path: Path
) -> None:
    world = logged_world(items=300, users=80, events=8_000, seed=5)
    config = FeedConfig()
    local, _ = train(world, config, version="vlocal")
    engine, report = train(world, config, version="vspark", factorise=spark_factorise(spark))
    local_dir = save_bundle(local, tmp_path / "local")
    spark_dir = save_bundle(engine, tmp_path / "spark")
    assert sorted(p.name for p in spark_dir.iterdir()) == sorted(
        p.name for p in local_dir.iterdir()
    )

    loaded = load_bundle(spark_dir)
    als = loaded.sources["als"]
    assert isinstance(als, AlsSource)
    fitted = engine.sources["als"]
    assert isinstance(fitted, AlsSource)
    np.testing.assert_array_equal(als.user_factors_, fitted.user_factors_)
    assert np.abs(als.user_factors_).sum() > 0  # Spark's vectors, not the zeros it starts from
    catalog = Catalog.from_frame(world.items, categories=loaded.categories)
    page = Pipeline(loaded, catalog, config, clock=ManualClock(world.now_ms)).run(3, 10)
    assert len(page.items) == 10
    assert report.counts["pairs"] > 0


@pytest.mark.slow
@pytest.mark.servers
def test_spark_fit_is_within_noise_of_the_single_process_fit(spark: SparkSession) -> None:
    world = logged_world(items=1500, users=400, events=40_000, seed=1)
    held = hold_out(world)
    config = FeedConfig()
    local = holdout_scores(held, config)
    engine = holdout_scores(held, config, factorise=spark_factorise(spark))
    # the retrieval model the engine fits: the paired interval of the difference holds zero
    diff, low, high = paired_bootstrap(engine.als, local.als)
    assert low <= 0 <= high, (diff, low, high)
    # the served page: Spark's mean inside the single-process measurement's own interval
    _, local_low, local_high = mean_interval(local.page)
    assert local_low <= mean_interval(engine.page)[0] <= local_high
    assert mean_interval(engine.page)[0] > 0.05  # and the page is a real recommender


def test_an_unknown_engine_is_refused_naming_the_known_ones(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["train", "--engine", "ray"])
    assert result.exit_code != 0
    assert "unknown engine 'ray'" in result.output
    assert "local, spark" in result.output


def _worker_answer(item: int) -> tuple[int, int, str]:
    import laotie

    return item * item, os.getpid(), laotie.__name__


def test_spark_map_runs_each_item_in_an_executor_and_keeps_the_order(
    spark: SparkSession,
) -> None:
    answers = spark_map(spark)(_worker_answer, [3, 1, 2])
    assert [square for square, _, _ in answers] == [9, 1, 4]
    assert all(pid != os.getpid() and name == "laotie" for _, pid, name in answers)
    assert spark_map(spark)(_worker_answer, []) == []
