"""The training window split in time (or per user) into an early part, that features are
learned from, and a late part, whose outcomes are the ranker's labels."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy import sparse

from laotie.core.feedconfig import FeedConfig
from laotie.feed.catalog import Catalog
from laotie.feed.signals import merge_interactions
from laotie.feed.sources import TrainingSet
from laotie.feed.sources.popular import choose_half_life
from laotie.feed.state import UserState


@dataclass
class SplitWindow:
    """The window split at ``split_ms``, as far as it is known before the catalog is read:
    the early part's events, pairs, ALS matrix and follows (what features are learned from)
    and the late part's pairs (the ranker's labels)."""

    early_events: pl.DataFrame
    early_pairs: pl.DataFrame
    early_matrix: sparse.csr_matrix
    early_follows: pl.DataFrame
    late_pairs: pl.DataFrame
    split_ms: int
    n_users: int

    def early(self, catalog: Catalog) -> TrainingSet:
        """The early part over ``catalog``, its user state loaded (nothing marked seen)."""
        state = UserState().load(catalog, self.early_pairs, self.early_follows, seen=False)
        return TrainingSet(
            catalog=catalog,
            events=self.early_events,
            pairs=self.early_pairs,
            state=state,
            now_ms=self.split_ms,
            n_users=self.n_users,
            _matrix=self.early_matrix,
        )

    def pairs(self) -> pl.DataFrame:
        """The interactions of the whole window."""
        return merge_interactions(self.early_pairs, self.late_pairs)


#: ``auto`` splits per user when fewer of the late part's rows than this have a history
_MIN_LATE_WITH_HISTORY = 0.5


def label_rows(
    events: pl.DataFrame, *, split_ms: int, share: float, mode: str
) -> tuple[pl.Series, str]:
    """Which ``events`` are the ranker's labelled part, and the mode used: ``time`` (from
    ``split_ms`` on: a feed log's users return daily, so the late part has their history)
    or ``user`` (each user's last ``share`` by time: rating logs whose users come in one
    burst, where after a time split most labelled users have no history to learn from).
    ``auto`` takes ``time`` when at least half of its labelled rows have a history."""
    late_by_time = events["ts_ms"] >= split_ms
    if mode == "auto":
        early_users = events.filter(~late_by_time)["user_id"].unique().to_numpy()
        late_users = events.filter(late_by_time)["user_id"].to_numpy()
        covered = float(np.isin(late_users, early_users).mean()) if len(late_users) else 1.0
        mode = "time" if covered >= _MIN_LATE_WITH_HISTORY else "user"
    if mode == "time":
        return late_by_time, mode
    per_user = events.select(
        (pl.col("ts_ms") >= pl.col("ts_ms").quantile(1 - share, "lower").over("user_id"))
        & (pl.col("ts_ms") > pl.col("ts_ms").min().over("user_id"))
    ).to_series()
    return per_user, mode


def learned_popularity(config: FeedConfig, window: SplitWindow, size: int) -> FeedConfig:
    """``config`` with the popularity half-life that best predicts the window's late part
    from its early part (``popular.choose_half_life``), used by the source and the features."""
    half_life = choose_half_life(
        window.early_pairs,
        window.late_pairs,
        split_ms=window.split_ms,
        size=size,
        base_ms=config.popular.half_life_ms,
        depth=max(config.popular.quota, 1),
    )
    if half_life == config.popular.half_life_ms:
        return config
    popular = config.popular.model_copy(update={"half_life_ms": half_life})
    return config.model_copy(update={"popular": popular})
