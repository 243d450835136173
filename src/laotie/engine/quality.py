"""Whether an engine's training matches the single-process fit: NDCG@k on a held-out split.

Both fits train on the same events (each user's earlier items) and are scored on the same
users' later positives: the served page (the whole pipeline) and the ALS source alone (the
retrieval model the engine fitted), each user's NDCG@k kept so the two can be compared
paired, with bootstrap intervals over users.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from laotie.core.clock import ManualClock
from laotie.core.feedconfig import FeedConfig
from laotie.feed.catalog import Catalog
from laotie.feed.evaluation import split
from laotie.feed.metrics import ndcg_per_user, paired_bootstrap
from laotie.feed.pipeline import Pipeline
from laotie.feed.signals import FeedData, column_max, interactions
from laotie.feed.sources import AlsSource
from laotie.feed.training import Factorise, train


@dataclass
class HoldoutScores:
    """Per held-out user NDCG@k of the served page and of the ALS source alone (same order)."""

    users: np.ndarray
    page: np.ndarray
    als: np.ndarray
    train_seconds: float


@dataclass(frozen=True)
class HeldOut:
    """A split of ``FeedData``: the training part and each evaluated user's later positives."""

    training: FeedData
    users: list[int]
    relevant: list[set[int]]


def hold_out(
    data: FeedData, *, test_share: float = 0.25, max_users: int = 2000, seed: int = 0
) -> HeldOut:
    """Each user's last ``test_share`` of items held out (``evaluation.split``, temporal); the
    users with a held-out positive they had not met before (at most ``max_users``)."""
    train_events, test_events = split(data, protocol="temporal", test_share=test_share, seed=seed)
    train_pairs = interactions(train_events)
    test_pairs = interactions(test_events).join(
        train_pairs.select("user_id", "item_id"), on=["user_id", "item_id"], how="anti"
    )
    positives = (
        test_pairs.filter(pl.col("positive"))
        .group_by("user_id")
        .agg(pl.col("item_id"))
        .sort("user_id")
    )
    if positives.height > max_users:
        positives = positives.sample(max_users, seed=seed).sort("user_id")
    now = column_max(train_events["ts_ms"]) + 1
    training = FeedData(items=data.items, events=train_events, follows=data.follows, now_ms=now)
    return HeldOut(
        training,
        positives["user_id"].to_list(),
        [set(items) for items in positives["item_id"].to_list()],
    )


def holdout_scores(
    held: HeldOut, config: FeedConfig, *, k: int = 10, factorise: Factorise | None = None
) -> HoldoutScores:
    """Train on ``held.training`` (ALS vectors by ``factorise``, default single-process) and
    score every held-out user's page and ALS top-``k`` (seen items excluded by both)."""
    started = time.perf_counter()
    bundle, _ = train(held.training, config, version="holdout", factorise=factorise)
    seconds = time.perf_counter() - started
    catalog = Catalog.from_frame(held.training.items, categories=bundle.categories)
    pipeline = Pipeline(bundle, catalog, config, clock=ManualClock(held.training.now_ms))
    pages = [np.array([r.item_id for r in pipeline.run(u, k).items], np.int64) for u in held.users]
    als = bundle.sources.get("als")
    if not isinstance(als, AlsSource):
        raise ValueError("the configuration has no als source to compare")
    seen = dict(
        interactions(held.training.events).group_by("user_id").agg(pl.col("item_id")).iter_rows()
    )
    ids, _ = als.recommend(np.asarray(held.users, np.int64), k + 500)
    tops = []
    for row, user in zip(ids, held.users, strict=True):
        row = row[(row >= 0) & ~np.isin(row, seen.get(user, []))]
        tops.append(row[:k])
    return HoldoutScores(
        users=np.asarray(held.users, np.int64),
        page=ndcg_per_user(pages, held.relevant, k),
        als=ndcg_per_user(tops, held.relevant, k),
        train_seconds=round(seconds, 3),
    )


def mean_interval(
    values: np.ndarray, *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of ``values`` and its 95% percentile-bootstrap interval (resampling users)."""
    values = np.asarray(values, np.float64)
    return paired_bootstrap(values, np.zeros_like(values), resamples=resamples, seed=seed)
