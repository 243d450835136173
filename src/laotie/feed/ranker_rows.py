"""The ranker's training rows and the blend's gate rows, described by the early part.

Rows (user, item, time) of the window's late part carry their outcomes as labels; sampled
negatives top them up where the log lacks impressions; every feature comes from the early
part's statistics and sources, so no feature has seen its own label.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from laotie.core.feedconfig import FeedConfig
from laotie.feed.catalog import Catalog
from laotie.feed.features import FeatureStats
from laotie.feed.gate import CROSS_FIT_BUCKETS, gate_heads, held_out, judged_gate
from laotie.feed.negatives import NEGATIVE_POOL, negative_pools, negatives_wanted, sample_negatives
from laotie.feed.rows import LABELS, row_features
from laotie.feed.sources import CovisitSource, EaseSource, PopularSource, Source
from laotie.feed.window import SplitWindow


class Laps:
    """Seconds per stage: each call records the time since the previous one."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._clock = time.perf_counter()

    def __call__(self, stage: str) -> None:
        """Record ``stage`` as ending now."""
        now = time.perf_counter()
        self.timings[stage] = round(now - self._clock, 3)
        self._clock = now


@dataclass
class RankerRows:
    """The ranker's labelled rows, their features (ALS affinity still zero) and labels."""

    rows: pl.DataFrame
    features: np.ndarray
    labels: dict[str, np.ndarray]
    #: rows of the users the judging ranker is not fitted on (``feed/gate.py``)
    holdout: np.ndarray
    #: the ranker is cross-fitted (half the users held out of a second ranker's fit); else
    #: one user in ten is held out of the served ranker's fit and the served ranker judges
    cross_fit: bool
    negatives: int
    timings: dict[str, float]
    #: held-out users' candidate rows (``gate_rows``) and their features, for the blend
    gate: pl.DataFrame
    gate_features: np.ndarray
    gate_heads: dict[str, np.ndarray]

    def served_rows(self) -> np.ndarray | None:
        """The rows the served ranker is fitted on: all of them when cross-fitted (None),
        else those of the users not held out (the served ranker judges those users)."""
        return None if self.cross_fit else ~self.holdout

    def picked(
        self, rows: np.ndarray | None
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray, np.ndarray]:
        """Features, labels, watch times and durations of the rows ``rows`` picks (a mask;
        None: all of them, not copied)."""

        def pick(values: np.ndarray) -> np.ndarray:
            return values if rows is None else values[rows]

        return (
            pick(self.features),
            {name: pick(values) for name, values in self.labels.items()},
            pick(self.rows["watch_ms"].to_numpy()),
            pick(self.rows["duration_ms"].to_numpy()),
        )


def ranker_rows(catalog: Catalog, window: SplitWindow, config: FeedConfig) -> RankerRows | None:
    """Rows (user, item, time) of the late part with their outcomes as labels, plus sampled
    negatives, described by the early part's statistics; None when the ranker is off or has
    too few rows. Everything but the ALS affinity, which needs the early fit."""
    rc = config.ranker
    lap = Laps()
    early = window.early(catalog)
    covisit = CovisitSource(**config.covisit.model_dump(exclude={"enabled", "quota"})).fit(early)
    covisit.bind(catalog=catalog, state=early.state, clock=None)  # type: ignore[arg-type]
    popular = PopularSource(half_life_ms=config.popular.half_life_ms).fit(early)
    stats = FeatureStats.fit(
        early.pairs, catalog, n_users=early.n_users, popularity=popular.popularity_
    )
    ease = None
    if config.ease.enabled:
        ease = EaseSource(**config.ease.model_dump(exclude={"enabled", "quota"})).fit(early)
        ease.bind(catalog=catalog, state=early.state, clock=None)  # type: ignore[arg-type]
    lap("early_stats")
    labelled = window.late_pairs.rename({"first_ts_ms": "ts_ms"})
    labelled = labelled.select("user_id", "item_id", "ts_ms", *LABELS, "watch_ms", "duration_ms")
    if not rc.enabled or labelled.height < rc.min_training_rows:
        return None
    positives = labelled.filter(pl.col("play"))
    popular.bind(catalog=catalog, state=early.state, clock=None)  # type: ignore[arg-type]
    heads: dict[str, Source] = {"popular": popular, "covisit": covisit}
    if ease is not None:
        heads["ease"] = ease
    pools, lists = negative_pools(
        positives["user_id"].to_numpy(),
        heads,
        pl.concat(
            [early.pairs.select("user_id", "item_id"), positives.select("user_id", "item_id")]
        ),
    )
    negatives = sample_negatives(
        positives,
        catalog=catalog,
        count=negatives_wanted(labelled, rc.negatives_per_positive),
        seed=config.serving.seed,
        pools=pools,
    )
    rows = pl.concat([labelled, negatives])
    if rows.height > rc.max_training_rows:
        rows = rows.sample(rc.max_training_rows, seed=config.serving.seed)
    gate = judged_gate(
        early,
        window.late_pairs,
        lists,
        half_life_ms=config.popular.half_life_ms,
        depth=NEGATIVE_POOL,
    )

    def described(frame: pl.DataFrame, stats: FeatureStats = stats) -> np.ndarray:
        return row_features(
            stats,
            catalog,
            early.state,
            als=None,
            covisit=covisit,
            users=frame["user_id"].to_numpy(),
            items=frame["item_id"].to_numpy(),
            ts_ms=frame["ts_ms"].to_numpy(),
            ease=ease,
        )

    labels = {name: rows[name].to_numpy() for name in LABELS}
    holdout = held_out(rows["user_id"].to_numpy(), gate.buckets)
    lap("ranker_rows")
    return RankerRows(
        rows,
        described(rows),
        labels,
        holdout,
        gate.buckets == CROSS_FIT_BUCKETS,
        negatives.height,
        lap.timings,
        gate.rows,
        described(gate.rows, gate.stats),
        gate_heads(gate.rows, gate.lists),
    )
