"""``laotie train``: every artefact of a model version from one window of events.

The window is split in time: statistics, co-visitation and ALS vectors learned on the first
part describe each (user, item) of the last ``label_share`` part, whose outcomes are the
ranker's labels — so no feature has seen its own label. The serving artefacts are then
brought up to the whole window (ALS users and new items re-solved, not refitted).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from laotie.core.clock import MS_PER_DAY
from laotie.feed.blend import Blend, choose_blend, head_scores
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
from laotie.feed.config import FeedConfig
from laotie.feed.features import FEATURES, FeatureStats, build_features
from laotie.feed.metrics import auc, logloss
from laotie.feed.ranker import BINARY_OBJECTIVES, Ranker
from laotie.feed.signals import (
    FeedData,
    column_max,
    interactions,
    merge_interactions,
    normalize_events,
    rate_scale,
)
from laotie.feed.sources import (
    AlsSource,
    ContentSource,
    ContinueSource,
    CovisitSource,
    EaseSource,
    FollowSource,
    FreshSource,
    LiveSource,
    PopularSource,
    Source,
    TrainingSet,
)
from laotie.feed.sources.base import preference_matrix
from laotie.feed.sources.popular import choose_half_life
from laotie.feed.state import UserState

log = logging.getLogger(__name__)
LABELS: tuple[str, ...] = BINARY_OBJECTIVES
#: the interpreter's switch interval while the fits and their side work share the GIL
_TRAINING_SWITCH_S = 0.0005


def make_sources(config: FeedConfig) -> dict[str, Source]:
    """Unfitted sources for every enabled source section, in pipeline order."""
    seed = config.serving.seed
    threads = config.training.num_threads
    built: dict[str, Source] = {}
    for name, section in config.source_sections().items():
        if not section.enabled:  # type: ignore[attr-defined]
            continue
        params = section.model_dump(exclude={"enabled", "quota"})
        if name == "als":
            built[name] = AlsSource(**params, num_threads=threads, random_state=seed)
        elif name == "fresh":
            built[name] = FreshSource(**params, random_state=seed)
        else:
            cls = {
                "covisit": CovisitSource,
                "ease": EaseSource,
                "popular": PopularSource,
                "follow": FollowSource,
                "continue": ContinueSource,
                "content": ContentSource,
                "live": LiveSource,
            }[name]
            built[name] = cls(**params)
    return built


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


def sample_negatives(
    positives: pl.DataFrame,
    *,
    catalog: Catalog,
    count: int,
    seed: int,
    pools: dict[int, np.ndarray] | None = None,
) -> pl.DataFrame:
    """``count`` (user, item, ts) rows with all labels 0, items drawn uniformly.

    Impressions that were not played (the natural negatives) teach the ranker what users skip
    once shown; uniform samples stand in for them in logs without impressions (ratings, KuaiRec
    plays). Where the log has enough natural negatives, uniform ones only teach the ranker
    which items the old feed exposed, so ``negatives_wanted`` adds none."""
    rng = np.random.default_rng(seed)
    valid = np.flatnonzero(catalog.valid)
    if not len(valid) or not positives.height or not count:
        return positives.head(0)
    source = rng.integers(0, positives.height, count)
    items = valid[rng.integers(0, len(valid), count)]
    if pools:  # a share drawn from what retrieval would offer the row's user
        users = positives["user_id"].to_numpy()[source]
        for row in np.flatnonzero(rng.random(count) < CANDIDATE_NEGATIVE_SHARE):
            pool = pools.get(int(users[row]))
            if pool is not None and len(pool):
                items[row] = pool[rng.integers(0, len(pool))]
    base = positives[source]
    return base.with_columns(
        pl.Series("item_id", items),
        *[pl.lit(False).alias(name) for name in LABELS],
        pl.lit(0, pl.Int64).alias("watch_ms"),
        pl.Series("duration_ms", catalog.duration_ms[items]),
    )


#: share of sampled negatives drawn from the user's retrieval candidates (the rest uniformly):
#: serving ranks candidates, which uniform negatives rarely resemble, so with those alone the
#: ranker learns how candidates differ from random items, not which candidates a user wants
CANDIDATE_NEGATIVE_SHARE = 0.5
#: candidates per user and source that candidate negatives are drawn from
_NEGATIVE_POOL = 200
#: users whose candidate pools are built at most (a sample on large platforms)
_POOL_USERS = 5000


def negative_pools(
    users: np.ndarray, sources: dict[str, Source], taken: pl.DataFrame
) -> tuple[dict[int, np.ndarray], dict[str, dict[int, np.ndarray]]]:
    """Per user: the early sources' candidates less the (user, item) pairs of ``taken``; and
    each source's list per user (best first)."""
    by_user = dict(taken.group_by("user_id").agg(pl.col("item_id")).iter_rows())
    pools: dict[int, np.ndarray] = {}
    lists: dict[str, dict[int, np.ndarray]] = {name: {} for name in sources}
    chosen = np.unique(users)
    if len(chosen) > _POOL_USERS:  # the held-out users (the blend's gate) and a sample
        gate = chosen[held_out(chosen)]
        rest = chosen[~held_out(chosen)]
        wanted = min(len(rest), max(_POOL_USERS - len(gate), 0))
        sample = np.random.default_rng(0).choice(rest, wanted, replace=False)
        chosen = np.union1d(gate, sample)
    for user in chosen.tolist():
        for name, source in sources.items():
            lists[name][user] = source.recommend_one(user, _NEGATIVE_POOL)[0]
        found = np.unique(np.concatenate([lists[name][user] for name in sources]))
        found = found[found >= 0]
        pools[user] = found[~np.isin(found, by_user.get(user, []))]
    return pools, lists


def negatives_wanted(labelled: pl.DataFrame, per_positive: int) -> int:
    """Uniform negatives that top the shown-not-played rows of ``labelled`` up to
    ``per_positive`` negatives per played row (none where impressions supply enough)."""
    played = int(labelled["play"].sum())
    return max(0, per_positive * played - (labelled.height - played))


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


def fit_serving_sources(
    catalog: Catalog,
    events: pl.DataFrame,
    follows: pl.DataFrame,
    pairs: pl.DataFrame,
    sources: dict[str, Source],
    config: FeedConfig,
    *,
    now_ms: int,
    n_users: int,
) -> tuple[TrainingSet, FeatureStats, dict[str, float]]:
    """The whole window's training set (``pairs`` its interactions), every source but ``als``
    fitted on it, and the serving feature statistics; returns them with each stage's seconds."""
    lap = Laps()
    full = training_set(
        catalog,
        events,
        follows,
        now_ms=now_ms,
        n_users=n_users,
        long_view_ms=config.ranker.long_view_ms,
        pairs=pairs,
    )
    full.matrix()  # built here, off the critical path, for the ALS re-solve
    lap("full_window")
    for name, source in sources.items():
        if name != "als":
            source.fit(full)
            lap(f"fit_{name}")
    popular = sources.get("popular")
    if not isinstance(popular, PopularSource):
        popular = PopularSource(half_life_ms=config.popular.half_life_ms).fit(full)
    stats = FeatureStats.fit(full.pairs, catalog, n_users=n_users, popularity=popular.popularity_)
    lap("stats")
    return full, stats, lap.timings


@dataclass
class RankerRows:
    """The ranker's labelled rows, their features (ALS affinity still zero) and labels."""

    rows: pl.DataFrame
    features: np.ndarray
    labels: dict[str, np.ndarray]
    holdout: np.ndarray
    negatives: int
    timings: dict[str, float]
    #: held-out users' candidate rows (``gate_rows``) and their features, for the blend
    gate: pl.DataFrame
    gate_features: np.ndarray
    gate_heads: dict[str, np.ndarray]


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
    gate = gate_rows(window.late_pairs, pools, split_ms=window.split_ms)

    def described(frame: pl.DataFrame) -> np.ndarray:
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
    holdout = held_out(rows["user_id"].to_numpy())
    gate_heads = {name: np.zeros(gate.height, np.float32) for name in lists}
    gate_users, gate_items = gate["user_id"].to_numpy(), gate["item_id"].to_numpy()
    bounds = np.flatnonzero(np.diff(gate_users)) + 1  # gate rows come grouped by user
    for rows_of_user in np.split(np.arange(gate.height), bounds):
        if len(rows_of_user):
            user = int(gate_users[rows_of_user[0]])
            for name, by_user in lists.items():
                gate_heads[name][rows_of_user] = head_scores(
                    by_user.get(user, np.empty(0, np.int64)), gate_items[rows_of_user]
                )
    lap("ranker_rows")
    return RankerRows(
        rows,
        described(rows),
        labels,
        holdout,
        negatives.height,
        lap.timings,
        gate,
        described(gate),
        gate_heads,
    )


def held_out(users: np.ndarray) -> np.ndarray:
    """The users (one in ten, by a hash of the id) whose rows the ranker is not fitted on."""
    return (np.asarray(users) * 2654435761 % 10) == 0


#: held-out users whose candidate pages decide the blend
_GATE_USERS = 300


def gate_rows(late: pl.DataFrame, pools: dict[int, np.ndarray], *, split_ms: int) -> pl.DataFrame:
    """Candidate rows (user, item, ts, relevant) of up to ``_GATE_USERS`` held-out users with
    late positives: their retrieval pool plus the items they went on to like."""
    liked = late.filter(pl.col("positive") & pl.Series(held_out(late["user_id"].to_numpy())))
    liked = liked.group_by("user_id").agg(pl.col("item_id")).sort("user_id").head(_GATE_USERS)
    users, items, relevant = [], [], []
    for user, good in liked.iter_rows():
        pool = pools.get(user, np.empty(0, np.int64))
        good = np.asarray(good, np.int64)
        both = np.concatenate([pool[~np.isin(pool, good)], good])
        users.append(np.full(len(both), user, np.int64))
        items.append(both)
        relevant.append(np.arange(len(both)) >= len(both) - len(good))
    if not users:
        return pl.DataFrame(
            schema={
                "user_id": pl.Int64,
                "item_id": pl.Int64,
                "ts_ms": pl.Int64,
                "relevant": pl.Boolean,
            }
        )
    return pl.DataFrame(
        {
            "user_id": np.concatenate(users),
            "item_id": np.concatenate(items),
            "relevant": np.concatenate(relevant),
        }
    ).with_columns(pl.lit(split_ms, pl.Int64).alias("ts_ms"))


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


def _import_lightgbm() -> None:
    """Import LightGBM (a third of a second) beside ALS rather than in the fits' path.

    Not faiss: it brings its own BLAS, which implicit would find with more than one thread
    while it checks the BLAS set-up as the ALS model is made, and warn."""
    import lightgbm  # noqa: F401


def _serving_als(
    als: Source | None, serving: Future[Any], early: sparse.csr_matrix
) -> dict[str, float]:
    """Bring the early ALS up to the whole window and index it (once the window is built)."""
    if not isinstance(als, AlsSource):
        return {}
    full = serving.result()[0]
    lap = Laps()
    als.extend(full.matrix(), early).build_index(full.matrix())
    lap("fit_als")
    return lap.timings


@dataclass
class TrainReport:
    """What a training run produced: window, counts, offline metrics and stage timings (s)."""

    window: dict[str, int]
    counts: dict[str, int]
    metrics: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    #: the ALS matrix and ranker rows, kept on request (benchmarks time bare fits on them)
    inputs: dict[str, Any] | None = field(default=None, repr=False)
    #: the catalog the version was trained on (a swap can serve with it instead of reading)
    catalog: Catalog | None = field(default=None, repr=False)


@dataclass
class TrainingInput:
    """What ``train`` reads: the window's events and follows, its end, and the catalog.

    Before the ALS fit only ``item_bound`` (one past the largest item id) is needed, so the
    catalog comes from ``read_catalog``, which ``train`` calls beside the fit; it must give a
    catalog of ``size == item_bound`` so that every array of the version has the same width."""

    events: pl.DataFrame
    follows: pl.DataFrame
    now_ms: int
    item_bound: int
    read_catalog: Callable[[], Catalog]

    def __post_init__(self) -> None:
        self.events = normalize_events(self.events)

    @classmethod
    def of(cls, data: FeedData) -> TrainingInput:
        """The input of in-memory ``data`` (its catalog built at once)."""
        catalog = Catalog.from_frame(data.items)
        return cls(data.events, data.follows, data.now_ms, catalog.size, lambda: catalog)


def train(
    data: FeedData | TrainingInput,
    config: FeedConfig,
    *,
    version: str,
    keep_inputs: bool = False,
) -> tuple[Bundle, TrainReport]:
    """Train every artefact on ``data`` (window ending at its ``now_ms``); ``keep_inputs``
    returns the ALS matrix and ranker rows in ``TrainReport.inputs``."""
    given = data if isinstance(data, TrainingInput) else TrainingInput.of(data)
    lap = Laps()
    timings = lap.timings
    inputs: dict[str, Any] = {}
    rc = config.ranker
    now, bound = given.now_ms, given.item_bound
    start = now - config.training.window_days * MS_PER_DAY
    events = given.events.filter(
        (pl.col("ts_ms") >= start) & (pl.col("ts_ms") < now) & (pl.col("item_id") < bound)
    )
    follows = given.follows
    n_users = max(column_max(events["user_id"]), column_max(follows["user_id"])) + 1
    split = int(events["ts_ms"].quantile(1 - rc.label_share) or now) if events.height else now
    lap("prepare")
    # The ALS and LightGBM fits are native code that releases the GIL (one thread each by
    # default), so everything that does not need their output runs beside them, in order, on
    # one more thread: the catalog's read, the ranker's rows, the whole window's sources and
    # then the ALS re-solve for serving. One thread, because a third busy thread would take
    # turns with a fit; most of it beside ALS, which slows less than LightGBM for company.
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-train")
    # A thread back from native code waits for the GIL up to the switch interval (5 ms): a
    # LightGBM fit returns to Python 300 times, so the fits would lose seconds to the threads
    # beside them. Handing the GIL over every 0.5 ms instead costs those threads little.
    switch = sys.getswitchinterval()
    sys.setswitchinterval(_TRAINING_SWITCH_S)
    try:
        # both parts' pairs are aggregated here, where Polars has both cores; later work
        # beside the fits takes a core from them
        rate_max = rate_scale(events)
        late, split_mode = label_rows(
            events, split_ms=split, share=rc.label_share, mode=rc.label_split
        )
        early_events = events.filter(~late)
        early_pairs = interactions(early_events, long_view_ms=rc.long_view_ms, rate_max=rate_max)
        window = SplitWindow(
            early_events=early_events,
            early_pairs=early_pairs,
            early_matrix=preference_matrix(early_pairs, (n_users, bound)),
            early_follows=follows.filter(pl.col("created_at_ms") < split),
            late_pairs=interactions(
                events.filter(late), long_view_ms=rc.long_view_ms, rate_max=rate_max
            ),
            split_ms=split,
            n_users=n_users,
        )
        config = learned_popularity(config, window, bound)
        sources = make_sources(config)
        lap("split_window")
        pool.submit(_import_lightgbm)
        catalog_job = pool.submit(given.read_catalog)
        rows_job = pool.submit(lambda: ranker_rows(catalog_job.result(), window, config))
        serving = pool.submit(
            lambda: fit_serving_sources(
                catalog_job.result(),
                events,
                follows,
                window.pairs(),
                sources,
                config,
                now_ms=now,
                n_users=n_users,
            )
        )
        als = sources.get("als")
        if isinstance(als, AlsSource):
            als.factorise(window.early_matrix)
            if keep_inputs:
                inputs["als_matrix"] = window.early_matrix
        lap("als_fit")
        serving_als = pool.submit(_serving_als, als, serving, window.early_matrix)
        catalog = catalog_job.result()
        if catalog.size != bound:
            raise ValueError(f"catalog size {catalog.size} differs from the item bound {bound}")
        training_rows = rows_job.result()
        lap("wait_ranker_rows")
        ranker: Ranker | None = None
        blend = Blend()
        metrics: dict[str, Any] = {}
        counts: dict[str, int] = {}
        if training_rows is not None:
            rows, features, labels, holdout = (
                training_rows.rows,
                training_rows.features,
                training_rows.labels,
                training_rows.holdout,
            )
            gate, gate_features = training_rows.gate, training_rows.gate_features
            if isinstance(als, AlsSource):
                for frame, matrix in ((rows, features), (gate, gate_features)):
                    matrix[:, FEATURES.index("als_affinity")] = als.pair_affinity(
                        frame["user_id"].to_numpy(), frame["item_id"].to_numpy()
                    )
            lap("ranker_affinity")
            fit_rows = {
                "features": features[~holdout],
                "labels": {k: v[~holdout] for k, v in labels.items()},
            }
            ranker = Ranker(
                n_estimators=rc.n_estimators,
                num_leaves=rc.num_leaves,
                learning_rate=rc.learning_rate,
                min_data_in_leaf=rc.min_data_in_leaf,
                rows_per_leaf=rc.rows_per_leaf,
                duration_buckets=rc.duration_buckets,
                num_threads=config.training.num_threads,
                random_state=config.serving.seed,
            ).fit(
                fit_rows["features"],
                fit_rows["labels"],
                watch_ms=rows["watch_ms"].to_numpy()[~holdout],
                durations=rows["duration_ms"].to_numpy()[~holdout],
            )
            lap("ranker_fit")
            if keep_inputs:
                inputs["ranker"] = {**fit_rows, "ranker": ranker}
            predictions = ranker.predict(features[holdout], threads=0)
            for name in LABELS:
                metrics[f"{name}_auc"] = auc(labels[name][holdout], predictions[name])
                metrics[f"{name}_logloss"] = logloss(labels[name][holdout], predictions[name])
            if gate.height:
                gate_predictions = ranker.predict(gate_features, threads=0)
                gate_predictions["play_early"] = ranker.predict(
                    gate_features, objectives=("play",), rounds=rc.prerank_rounds, threads=0
                )["play"]
                blend, metrics["blend_ndcg"] = choose_blend(
                    gate["user_id"].to_numpy(),
                    gate["relevant"].to_numpy(),
                    gate_predictions,
                    training_rows.gate_heads,
                    config.fusion,
                )
            lap("blend")
            counts.update(
                training_rows=int((~holdout).sum()),
                holdout_rows=int(holdout.sum()),
                sampled_negatives=training_rows.negatives,
            )
        full, stats, serving_timings = serving.result()
        serving_timings.update(serving_als.result())
        lap("wait_background")
    finally:
        sys.setswitchinterval(switch)
        pool.shutdown(wait=False, cancel_futures=True)
    timings.update({f"background_{k}": v for k, v in serving_timings.items()})
    if training_rows is not None:
        timings.update({f"background_{k}": v for k, v in training_rows.timings.items()})
    counts.update(
        events=events.height, pairs=full.pairs.height, users=n_users, items=int(catalog.valid.sum())
    )
    report = TrainReport(
        window={"start_ms": int(start), "end_ms": int(now), "label_split_ms": split},
        counts=counts,
        metrics=metrics,
        timings=timings,
        inputs=inputs if keep_inputs else None,
        catalog=catalog,
    )
    bundle = Bundle(
        version=version,
        sources=sources,
        stats=stats,
        ranker=ranker,
        state=full.state,
        categories=list(catalog.categories),
        manifest={
            "window": report.window,
            "counts": counts,
            "metrics": metrics,
            "timings": timings,
            "config": config.model_dump(mode="json"),
            "learned": {
                "popular_half_life_ms": config.popular.half_life_ms,
                "label_split": split_mode,
                "blend": blend.as_dict(),
            },
        },
    )
    return bundle, report
