"""``laotie train``: every artefact of a model version from one window of events.

The window is split in time: statistics, co-visitation and ALS vectors learned on the first
part describe each (user, item) of the last ``label_share`` part, whose outcomes are the
ranker's labels — so no feature has seen its own label. The serving artefacts are then
brought up to the whole window (ALS users and new items re-solved, not refitted).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from scipy import sparse

from laotie.core.clock import MS_PER_DAY
from laotie.core.feedconfig import FeedConfig
from laotie.feed.blend import Blend
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
from laotie.feed.features import FEATURES, FeatureStats
from laotie.feed.gate_judge import GateJudge
from laotie.feed.ranker import Ranker
from laotie.feed.ranker_rows import Laps, RankerRows, ranker_rows
from laotie.feed.rows import training_set
from laotie.feed.signals import (
    FeedData,
    column_max,
    interactions,
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
from laotie.feed.store import FeedStore
from laotie.feed.window import SplitWindow, label_rows, learned_popularity

log = logging.getLogger(__name__)
#: the interpreter's switch interval while the fits and their side work share the GIL
_TRAINING_SWITCH_S = 0.0005


#: fits an ``AlsSource``'s vectors on a users x items matrix (its own ``factorise`` or an engine's)
Factorise = Callable[[AlsSource, sparse.csr_matrix], object]


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


def _als_affinities(training_rows: RankerRows, als: Source | None) -> None:
    """Fill the ``als_affinity`` feature of the ranker's and the gate's rows from the early
    ALS vectors (before the serving re-solve moves them)."""
    if not isinstance(als, AlsSource):
        return
    column = FEATURES.index("als_affinity")
    for frame, matrix in (
        (training_rows.rows, training_rows.features),
        (training_rows.gate, training_rows.gate_features),
    ):
        matrix[:, column] = als.pair_affinity(
            frame["user_id"].to_numpy(), frame["item_id"].to_numpy()
        )


def make_ranker(config: FeedConfig) -> Ranker:
    """An unfitted ranker with the configured parameters."""
    rc = config.ranker
    return Ranker(
        n_estimators=rc.n_estimators,
        num_leaves=rc.num_leaves,
        learning_rate=rc.learning_rate,
        min_data_in_leaf=rc.min_data_in_leaf,
        rows_per_leaf=rc.rows_per_leaf,
        duration_buckets=rc.duration_buckets,
        num_threads=config.training.num_threads,
        random_state=config.serving.seed,
    )


def _fit_ranker(
    config: FeedConfig,
    training_rows: RankerRows,
    rows: np.ndarray | None,
    fitted: Callable[[Ranker, str], object] | None = None,
) -> Ranker:
    """A ranker fitted on ``training_rows``' rows picked by ``rows`` (a mask; None: all);
    ``fitted`` as ``Ranker.fit`` takes it."""
    features, labels, watch_ms, durations = training_rows.picked(rows)
    return make_ranker(config).fit(
        features, labels, watch_ms=watch_ms, durations=durations, fitted=fitted
    )


def _cross_fitted_judgement(training_rows: RankerRows, config: FeedConfig) -> dict[str, Any]:
    """The judgement (``GateJudge``) of the gate's ranker, fitted on the rows of the users not
    held out."""
    judge = GateJudge(training_rows, config, threads=config.training.num_threads)
    _fit_ranker(config, training_rows, ~training_rows.holdout, fitted=judge.add)
    return judge.judgement()


def _fit_served_judge(
    config: FeedConfig, training_rows: RankerRows, pool: ThreadPoolExecutor
) -> tuple[Ranker, Callable[[], dict[str, Any]]]:
    """The served ranker, fitted without the held-out users' rows, and its judgement of them
    (``GateJudge``; the call waits for its predictions, made on ``pool``'s thread objective by
    objective while the next objective fits)."""
    judge = GateJudge(training_rows, config, threads=config.training.num_threads)
    predicted: list[Future[None]] = []

    def on_fitted(ranker: Ranker, objective: str) -> None:
        predicted.append(pool.submit(judge.add, ranker, objective))

    ranker = _fit_ranker(config, training_rows, training_rows.served_rows(), on_fitted)

    def judgement() -> dict[str, Any]:
        for done in predicted:
            done.result()
        return judge.judgement()

    return ranker, judgement


def _row_counts(training_rows: RankerRows) -> dict[str, int]:
    """The ranker's rows: all, held out of the judge's fit, in the served fit, sampled."""
    holdout, served = training_rows.holdout, training_rows.served_rows()
    return {
        "training_rows": len(holdout),
        "holdout_rows": int(holdout.sum()),
        "ranker_rows": len(holdout) if served is None else int(served.sum()),
        "sampled_negatives": training_rows.negatives,
    }


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
    def read(
        cls, store: FeedStore, *, now_ms: int, window_days: int
    ) -> tuple[TrainingInput, tuple[int, int]]:
        """The input of the window ending at ``now_ms`` read from ``store``, and the item
        watermark, read first so that the catalog read after it holds every item it counts."""
        watermark = store.item_watermark()
        bound = watermark[1] + 1
        events, follows = store.activity(start_ms=now_ms - window_days * MS_PER_DAY, end_ms=now_ms)
        given = cls(
            events, follows, now_ms, bound, lambda: Catalog.from_frame(store.items(), size=bound)
        )
        return given, watermark

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
    factorise: Factorise | None = None,
) -> tuple[Bundle, TrainReport]:
    """Train every artefact on ``data`` (window ending at its ``now_ms``); ``keep_inputs``
    returns the ALS matrix and ranker rows in ``TrainReport.inputs``; ``factorise`` fits the
    ALS vectors on the early matrix in place of ``AlsSource.factorise`` (a distributed engine)."""
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
        # the catalog's read (SQLite, mostly waiting on the database) beside the split, which
        # leaves the ALS fit less company
        pool.submit(_import_lightgbm)
        catalog_job = pool.submit(given.read_catalog)
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
            (factorise or AlsSource.factorise)(als, window.early_matrix)
            if keep_inputs:
                inputs["als_matrix"] = window.early_matrix
        lap("als_fit")
        catalog = catalog_job.result()
        if catalog.size != bound:
            raise ValueError(f"catalog size {catalog.size} differs from the item bound {bound}")
        training_rows = rows_job.result()
        lap("wait_ranker_rows")
        judged: Future[dict[str, Any]] | None = None
        if training_rows is not None:
            _als_affinities(training_rows, als)
            lap("ranker_affinity")
            if training_rows.cross_fit:  # the gate's ranker (fitted on the other half of the
                # users) judges the held-out users' pages beside the served fit, on the side
                judged = pool.submit(_cross_fitted_judgement, training_rows, config)
        # only now: the re-solve moves the ALS vectors the affinities above must not see
        serving_als = pool.submit(_serving_als, als, serving, window.early_matrix)
        ranker: Ranker | None = None
        judgement: Callable[[], dict[str, Any]] | None = None
        if training_rows is not None:
            if judged is not None:
                served = training_rows.served_rows()
                ranker, judgement = _fit_ranker(config, training_rows, served), judged.result
            else:
                ranker, judgement = _fit_served_judge(config, training_rows, pool)
            lap("ranker_fit")
            if keep_inputs:
                features, labels = training_rows.picked(training_rows.served_rows())[:2]
                inputs["ranker"] = {"features": features, "labels": labels, "ranker": ranker}
        full, stats, serving_timings = serving.result()
        serving_timings.update(serving_als.result())
        lap("wait_background")
        blend = Blend()
        metrics: dict[str, Any] = {}
        counts: dict[str, int] = {}
        if training_rows is not None and judgement is not None:
            judged_now = judgement()
            blend = judged_now.pop("blend", blend)
            metrics.update(
                judged_now, gate_judge="cross_fit" if training_rows.cross_fit else "served"
            )
            lap("gate_judgement")
            counts = _row_counts(training_rows)
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
