"""The ranker's rows: a window's interactions as a training set, and features per row."""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.feed.catalog import Catalog
from laotie.feed.features import FeatureStats, build_features
from laotie.feed.ranker import BINARY_OBJECTIVES
from laotie.feed.signals import interactions
from laotie.feed.sources import AlsSource, CovisitSource, EaseSource, TrainingSet
from laotie.feed.state import UserState

#: the ranker's label columns (its binary objectives)
LABELS: tuple[str, ...] = BINARY_OBJECTIVES


def training_set(
    catalog: Catalog,
    events: pl.DataFrame,
    follows: pl.DataFrame,
    *,
    now_ms: int,
    n_users: int,
    long_view_ms: int,
    pairs: pl.DataFrame | None = None,
) -> TrainingSet:
    """Interactions and user state of ``events`` as a ``TrainingSet``; ``pairs`` are the
    events' interactions when already aggregated."""
    if pairs is None:
        pairs = interactions(events, long_view_ms=long_view_ms)
    pairs = pairs.filter(pl.col("item_id") < catalog.size)
    return TrainingSet(
        catalog=catalog,
        events=events,
        pairs=pairs,
        state=UserState().load(catalog, pairs, follows),
        now_ms=now_ms,
        n_users=n_users,
    )


def row_features(
    stats: FeatureStats,
    catalog: Catalog,
    state: UserState,
    *,
    als: AlsSource | None,
    covisit: CovisitSource | None,
    users: np.ndarray,
    items: np.ndarray,
    ts_ms: np.ndarray,
    ease: EaseSource | None = None,
) -> np.ndarray:
    """Features for many (user, item, time) rows, grouped by user for the per-user signals."""
    users = np.asarray(users, np.int64)
    items = np.asarray(items, np.int64)
    covisit_score = np.zeros(len(items), np.float32)
    is_next = np.zeros(len(items), np.float32)
    order = np.argsort(users, kind="stable")
    bounds = np.flatnonzero(np.diff(users[order])) + 1
    for rows in np.split(order, bounds):
        if not len(rows):
            continue
        user = int(users[rows[0]])
        if covisit is not None:
            seeds, weights = covisit.seed_items(user)
            covisit_score[rows] = covisit.pair_scores(seeds, weights, items[rows])
        next_items, _ = state.next_items(catalog, user)
        if len(next_items):
            is_next[rows] = np.isin(items[rows], next_items)
    follow_keys = np.array(
        sorted(u * (1 << 32) + c for u, cs in state.follows.items() for c in cs), dtype=np.int64
    )
    follows_creator = np.isin(users * (1 << 32) + catalog.creator[items], follow_keys).astype(
        np.float32
    )
    affinity = (
        als.pair_affinity(users, items) if als is not None else np.zeros(len(items), np.float32)
    )
    return build_features(
        stats,
        catalog,
        users=users,
        items=items,
        now_ms=ts_ms,
        als_affinity=affinity,
        covisit_score=covisit_score,
        follows_creator=follows_creator,
        is_next_item=is_next,
        ease_score=ease.pair_scores(users, items) if ease is not None else None,
    )
