"""``laotie evaluate``: offline protocols, the full pipeline against popular and random.

``popular_capped`` is the popular baseline held to the pipeline's page policy (creator, kind
and AIGC caps, demotions, diversity), ``pipeline_uncapped`` the pipeline with the caps
lifted: beside the plain pair they separate what the models win from what the policy costs.

Protocols split each user's (user, item) interactions: ``temporal`` puts the last
``test_share`` of each user's items by first touch in the test set, ``stratified`` a random
share. The pipeline is trained on the rest and asked for top-K pages (seen items excluded, as
in serving); relevant items are the user's test positives not touched in training.

Logged data only holds what the logging feed chose to show, so these metrics also reward
predicting that exposure. A simulated dataset comes with its ground truth (``Truth``): then
the report adds an ``oracle`` (each user's truly best unseen items) and every method's NDCG
against the true utilities of its page.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import numpy as np
import polars as pl

from laotie.core.clock import ManualClock
from laotie.core.errors import InvalidInput
from laotie.core.feedconfig import FeedConfig
from laotie.feed.ablation import ablation
from laotie.feed.baselines import EASE_MAX_ITEMS, Ease, PlainAls, binary_matrix, top_unseen
from laotie.feed.catalog import Catalog
from laotie.feed.metrics import (
    auc,
    coverage,
    gauc,
    graded_ndcg,
    logloss,
    mae,
    map_at_k,
    ndcg_at_k,
    ndcg_per_user,
    novelty,
    paired_bootstrap,
    precision_at_k,
    recall_at_k,
    xauc,
)
from laotie.feed.negatives import negatives_wanted, sample_negatives
from laotie.feed.pipeline import Pipeline
from laotie.feed.rerank import filter_candidates, select_page
from laotie.feed.rows import LABELS, row_features
from laotie.feed.signals import FeedData, column_max, column_min, interactions
from laotie.feed.sources import AlsSource, CovisitSource, EaseSource
from laotie.feed.training import train

PROTOCOLS: tuple[str, ...] = ("temporal", "stratified")
#: what counts as relevant: the held-out positives, or every held-out interaction (the
#: protocol of Microsoft Recommenders' and RecBole's published MovieLens tables)
RELEVANCE: tuple[str, ...] = ("positive", "all")
#: the simple recommenders scored beside the pipeline (see ``laotie.feed.baselines``)
BASELINES: tuple[str, ...] = ("popular", "als_plain", "ease")


class Truth(Protocol):
    """Ground truth of a simulated dataset: each user's true utility of each item."""

    def knows(self, user_id: int) -> bool:
        """Whether the truth covers ``user_id``."""
        ...

    def utility(self, user_id: int, item_ids: np.ndarray) -> np.ndarray:
        """True utility (higher is better) of each of ``item_ids`` for ``user_id``."""
        ...


def split(
    data: FeedData, *, protocol: str, test_share: float, seed: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(train events, test events) by (user, item) pairs per user (see module docstring)."""
    if protocol not in PROTOCOLS:
        raise InvalidInput(
            f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}", field="protocol"
        )
    if not 0 < test_share < 1:
        raise InvalidInput("test share must be between 0 and 1", field="test_share", limit="(0, 1)")
    pairs = data.events.group_by("user_id", "item_id").agg(pl.col("ts_ms").min().alias("first"))
    rng = np.random.default_rng(seed)
    if protocol == "temporal":
        pairs = pairs.sort("user_id", "first", "item_id")
    else:
        pairs = (
            pairs.sort("user_id", "item_id")
            .with_columns(pl.Series("r", rng.random(pairs.height)))
            .sort("user_id", "r")
        )
    pairs = pairs.with_columns(
        pl.int_range(pl.len()).over("user_id").alias("rank"),
        pl.len().over("user_id").alias("count"),
    ).with_columns(
        (
            (pl.col("count") >= 2)
            & (pl.col("rank") >= pl.col("count") - (pl.col("count") * test_share).round().clip(1))
        ).alias("test")
    )
    events = data.events.join(pairs.select("user_id", "item_id", "test"), on=["user_id", "item_id"])
    return events.filter(~pl.col("test")).drop("test"), events.filter(pl.col("test")).drop("test")


def _topk(
    methods: dict[str, list[np.ndarray]],
    relevant: list[set[int]],
    *,
    k: int,
    n_items: int,
    popularity: np.ndarray,
    n_users: int,
) -> dict[str, dict[str, float]]:
    return {
        name: {
            f"recall@{k}": recall_at_k(recs, relevant, k),
            f"precision@{k}": precision_at_k(recs, relevant, k),
            f"ndcg@{k}": ndcg_at_k(recs, relevant, k),
            f"map@{k}": map_at_k(recs, relevant, k),
            "coverage": coverage(recs, n_items, k),
            "novelty": novelty(recs, popularity, n_users, k),
        }
        for name, recs in methods.items()
    }


#: the method that serves the same models with the page caps and the creator gap lifted
UNCAPPED = "pipeline_uncapped"
#: the popular baseline held to the pipeline's page policy (caps, demotions, diversity)
POPULAR_CAPPED = "popular_capped"
#: popular candidates the page policy chooses from
_POLICY_POOL = 200


def without_page_caps(config: FeedConfig) -> FeedConfig:
    """``config`` with a page's creator, kind and AIGC caps and its creator gap lifted (the
    seen filter, the trust gate, the diversity term and the fresh slots stay): evaluated
    beside it, it shows what those rules cost."""
    rerank = config.rerank.model_dump()
    rerank.update(
        creator_cap=100,
        creator_gap=0,
        aigc_cap=1.0,
        kind_caps=dict.fromkeys(rerank["kind_caps"], 1.0),
    )
    return config.model_copy(update={"rerank": type(config.rerank).model_validate(rerank)})


#: fewer evaluated users than this and no difference between methods is called significant
MIN_USERS_TO_COMPARE = 20


def evaluate(
    data: FeedData,
    *,
    config: FeedConfig | None = None,
    protocol: str = "temporal",
    test_share: float = 0.25,
    k: int = 10,
    max_users: int = 2000,
    seed: int = 0,
    truth: Truth | None = None,
    relevance: str = "positive",
    with_ablation: bool = False,
) -> dict[str, Any]:
    """Train on the split's training part and report top-K, objective and watch-time metrics;
    with a ``truth``, only its users are evaluated and the ground-truth section is added;
    ``with_ablation`` adds every stage scored alone (``laotie.feed.ablation``)."""
    if relevance not in RELEVANCE:
        raise InvalidInput(
            f"unknown relevance {relevance!r}; known: {', '.join(RELEVANCE)}", field="relevance"
        )
    config = config or FeedConfig()
    started = time.perf_counter()
    train_events, test_events = split(data, protocol=protocol, test_share=test_share, seed=seed)
    now = column_max(train_events["ts_ms"]) + 1
    span_days = (now - column_min(train_events["ts_ms"])) // 86_400_000 + 1
    if span_days > config.training.window_days:  # evaluation trains on the whole training part
        training = config.training.model_copy(update={"window_days": int(span_days)})
        config = config.model_copy(update={"training": training})
    train_pairs = interactions(train_events)
    test_pairs = interactions(test_events).join(
        train_pairs.select("user_id", "item_id"), on=["user_id", "item_id"], how="anti"
    )
    held_out = test_pairs.filter(pl.col("positive")) if relevance == "positive" else test_pairs
    positives = held_out.group_by("user_id").agg(pl.col("item_id")).sort("user_id")
    if truth is not None:
        positives = positives.filter(
            pl.Series([truth.knows(user) for user in positives["user_id"].to_list()])
        )
    if positives.height > max_users:
        positives = positives.sample(max_users, seed=seed).sort("user_id")
    users = positives["user_id"].to_list()
    if not users:
        raise InvalidInput(
            f"no user holds out a relevant item in {data.events.height:,} events: "
            "nothing to evaluate",
            field="dataset",
        )
    relevant = [set(items) for items in positives["item_id"].to_list()]
    bundle, report = train(
        FeedData(items=data.items, events=train_events, follows=data.follows, now_ms=now),
        config,
        version="evaluation",
    )
    catalog = Catalog.from_frame(data.items, categories=bundle.categories)
    pipeline = Pipeline(bundle, catalog, config, clock=ManualClock(now))
    seen_by_user = dict(train_pairs.group_by("user_id").agg(pl.col("item_id")).iter_rows())
    counts = np.bincount(
        train_pairs.filter(pl.col("positive"))["item_id"].to_numpy(), minlength=catalog.size
    )
    ranked_popular = np.argsort(-counts, kind="stable")
    ranked_popular = ranked_popular[catalog.valid[ranked_popular]]
    rng = np.random.default_rng(seed)
    valid = np.flatnonzero(catalog.valid)
    recs: dict[str, list[np.ndarray]] = {
        "pipeline": [],
        UNCAPPED: [],
        "popular": [],
        POPULAR_CAPPED: [],
        "random": [],
        "als_plain": [],
        "ease": [],
    }
    matrix = binary_matrix(
        train_pairs["user_id"].to_numpy(),
        train_pairs["item_id"].to_numpy(),
        (max(column_max(data.events["user_id"]) + 1, 1), catalog.size),
    )
    scorers: dict[str, Any] = {"als_plain": PlainAls(seed=seed).fit(matrix)}
    if catalog.size <= EASE_MAX_ITEMS:
        scorers["ease"] = Ease().fit(matrix)
    else:
        del recs["ease"]
    serve_started = time.perf_counter()
    for user in users:
        seen = np.asarray(seen_by_user.get(user, []), np.int64)
        recs["pipeline"].append(
            np.array([r.item_id for r in pipeline.run(user, k).items], np.int64)
        )
        head = ranked_popular[: max(k, _POLICY_POOL) + len(seen)]
        head = head[~np.isin(head, seen)]
        recs["popular"].append(head[:k])
        recs[POPULAR_CAPPED].append(
            policy_page(head[:_POLICY_POOL], counts, catalog=catalog, k=k, config=config)
        )
        pool = valid[~np.isin(valid, seen)]
        recs["random"].append(
            rng.choice(pool, min(k, len(pool)), replace=False) if len(pool) else pool
        )
        unseen = catalog.valid.copy()
        unseen[seen[seen < catalog.size]] = False
        for name, scorer in scorers.items():
            recs[name].append(top_unseen(scorer.scores(user), unseen, k))
    serve_seconds = time.perf_counter() - serve_started
    uncapped = Pipeline(bundle, catalog, without_page_caps(config), clock=ManualClock(now))
    recs[UNCAPPED] = [
        np.array([r.item_id for r in uncapped.run(user, k).items], np.int64) for user in users
    ]
    ground_truth = (
        _ground_truth(truth, recs, users, seen_by_user, valid, k=k, seed=seed)
        if truth is not None
        else None
    )
    n_users = int(data.events["user_id"].n_unique())
    result: dict[str, Any] = {
        "protocol": protocol,
        "k": k,
        "test_share": test_share,
        "users_evaluated": len(users),
        "events": {"train": train_events.height, "test": test_events.height},
        "items": int(catalog.valid.sum()),
        "methods": _topk(
            recs,
            relevant,
            k=k,
            n_items=int(catalog.valid.sum()),
            popularity=np.bincount(train_pairs["item_id"].to_numpy(), minlength=catalog.size),
            n_users=n_users,
        ),
    }
    if ground_truth is not None:
        result["ground_truth"] = ground_truth
    result["relevance"] = relevance
    result["learned"] = {
        **bundle.manifest.get("learned", {}),
        "gate_ndcg@10": report.metrics.get("blend_ndcg"),
        "gate_users": report.metrics.get("gate_users"),
    }
    if with_ablation:
        result["ablation"] = ablation(pipeline, users, relevant, k=k)
    result["objectives"], result["watch_time"] = _objectives(
        bundle, catalog, test_pairs, counts, config, seed
    )
    result["timings_s"] = {
        "train": round(sum(report.timings.values()), 3),
        "serve_per_user_ms": round(1000 * serve_seconds / max(len(users), 1), 3),
        "total": round(time.perf_counter() - started, 3),
    }
    result["beats_popular_ndcg"] = (
        result["methods"]["pipeline"][f"ndcg@{k}"] > result["methods"]["popular"][f"ndcg@{k}"]
    )
    # the same users answer both: a paired bootstrap over users says whether the gap is real
    ours = ndcg_per_user(recs["pipeline"], relevant, k)
    for key, baseline in (("vs_popular", "popular"), ("vs_popular_capped", POPULAR_CAPPED)):
        theirs = ndcg_per_user(recs[baseline], relevant, k)
        result[key] = _gap(ours, theirs, f"ndcg@{k}_diff", seed)
    best = max(
        (name for name in BASELINES if name in recs),
        key=lambda name: result["methods"][name][f"ndcg@{k}"],
    )
    result["vs_best_baseline"] = {
        "baseline": best,
        **_gap(ours, ndcg_per_user(recs[best], relevant, k), f"ndcg@{k}_diff", seed),
    }
    return result


def policy_page(
    ids: np.ndarray, scores: np.ndarray, *, catalog: Catalog, k: int, config: FeedConfig
) -> np.ndarray:
    """The best ``k`` of ``ids`` by ``scores`` (a catalog-wide array) under the pipeline's page
    policy: AIGC demotion, creator, kind and AIGC caps, and the diversity term."""
    filtered = filter_candidates(
        ids,
        catalog=catalog,
        seen=np.empty(0, np.int64),
        next_items=np.empty(0, np.int64),
        decisions={},
        config=config.rerank,
    )
    relevance = (scores[filtered.ids] + 1.0) * filtered.factor
    page = select_page(filtered.ids, relevance, catalog=catalog, n=k, config=config.rerank)
    return filtered.ids[page.rows]


def _ground_truth(
    truth: Truth,
    recs: dict[str, list[np.ndarray]],
    users: list[int],
    seen_by_user: dict[int, list[int]],
    valid: np.ndarray,
    *,
    k: int,
    seed: int,
) -> dict[str, Any]:
    """Add the ``oracle`` to ``recs`` and score every method's pages by graded NDCG@k against
    the true utilities of each user's unseen items."""
    recs["oracle"] = []
    scores: dict[str, list[float]] = {name: [] for name in recs}
    for i, user in enumerate(users):
        pool = valid[~np.isin(valid, np.asarray(seen_by_user.get(user, []), np.int64))]
        utility = truth.utility(user, pool)
        recs["oracle"].append(pool[np.argsort(-utility, kind="stable")[:k]])
        for name, pages in recs.items():
            scores[name].append(graded_ndcg(truth.utility(user, pages[i][:k]), utility, k))
    return {
        f"true_ndcg@{k}": {name: round(float(np.mean(v)), 4) for name, v in scores.items()},
        "vs_popular": _gap(scores["pipeline"], scores["popular"], f"true_ndcg@{k}_diff", seed),
        "uncapped_vs_popular": _gap(
            scores[UNCAPPED], scores["popular"], f"true_ndcg@{k}_diff", seed
        ),
        "vs_popular_capped": _gap(
            scores["pipeline"], scores[POPULAR_CAPPED], f"true_ndcg@{k}_diff", seed
        ),
    }


def _gap(
    a: list[float] | np.ndarray, b: list[float] | np.ndarray, name: str, seed: int
) -> dict[str, Any]:
    """Mean paired difference ``a - b`` over users, its 95% bootstrap interval and whether
    that interval (over enough users) excludes zero."""
    diff, low, high = paired_bootstrap(np.asarray(a), np.asarray(b), seed=seed)
    return {
        name: round(diff, 4),
        "ci95": [round(low, 4), round(high, 4)],
        "users": len(a),
        "significant": len(a) >= MIN_USERS_TO_COMPARE and (low > 0 or high < 0),
    }


def _objectives(
    bundle: Any,
    catalog: Catalog,
    test_pairs: pl.DataFrame,
    popularity: np.ndarray,
    config: FeedConfig,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per-objective AUC/GAUC/logloss (with the popularity baseline's AUC), watch XAUC/MAE."""
    if bundle.ranker is None or bundle.stats is None or not test_pairs.height:
        return {}, {}
    rows = test_pairs.rename({"first_ts_ms": "ts_ms"}).select(
        "user_id", "item_id", "ts_ms", *LABELS, "watch_ms", "duration_ms"
    )
    wanted = negatives_wanted(rows, config.ranker.negatives_per_positive)
    rows = pl.concat(
        [
            rows,
            sample_negatives(
                rows.filter(pl.col("play")), catalog=catalog, count=wanted, seed=seed + 1
            ),
        ]
    )
    if rows.height > 200_000:
        rows = rows.sample(200_000, seed=seed)
    als = bundle.sources.get("als")
    covisit = bundle.sources.get("covisit")
    ease = bundle.sources.get("ease")
    features = row_features(
        bundle.stats,
        catalog,
        bundle.state,
        als=als if isinstance(als, AlsSource) else None,
        covisit=covisit if isinstance(covisit, CovisitSource) else None,
        users=rows["user_id"].to_numpy(),
        items=rows["item_id"].to_numpy(),
        ts_ms=rows["ts_ms"].to_numpy(),
        ease=ease if isinstance(ease, EaseSource) else None,
    )
    predictions = bundle.ranker.predict(features)
    groups = rows["user_id"].to_numpy()
    item_popularity = popularity[rows["item_id"].to_numpy()]
    out: dict[str, Any] = {}
    for name in LABELS:
        labels = rows[name].to_numpy()
        out[name] = {
            "auc": auc(labels, predictions[name]),
            "gauc": gauc(labels, predictions[name], groups),
            "logloss": logloss(labels, predictions[name]),
            "positives": int(labels.sum()),
            "popular_auc": auc(labels, item_popularity),
        }
    watched = (rows["duration_ms"].to_numpy() > 0) & rows["play"].to_numpy()
    watch: dict[str, Any] = {}
    if watched.sum() >= 2:
        actual = rows["watch_ms"].to_numpy()[watched]
        durations = rows["duration_ms"].to_numpy()[watched]
        expected = bundle.ranker.expected_watch_ms(
            predictions["watch_quantile"][watched], durations
        )
        watch = {
            "xauc": xauc(actual, expected, seed=seed),
            "mae_ms": mae(actual, expected),
            "rows": int(watched.sum()),
        }
    return out, watch
