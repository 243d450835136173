"""The blend's gate: held-out users' candidate pages, as serving would build them.

Users are split by a hash of the id into ten buckets; the gate's users are held out of the
fit of the ranker that judges them. On a large log one bucket holds enough of them: the served
ranker is fitted on the other nine buckets' rows and is itself the judge (``judged_gate``
decides), so training fits one ranker. On a smaller log, where one bucket holds fewer than
``MIN_GATE_USERS`` users with a page to judge, the ranker is cross-fitted: a second ranker, the
gate's, is fitted on the rows of half the users and judges the other half, and the served
ranker is fitted on every user's rows. For up to ``GATE_USERS`` held-out users the sources'
lists make a candidate page, less what the user had already touched; the items among them the
user went on to like are the relevant rows.

Two rules keep the gate a fair copy of serving. Items the user liked that no source listed
are left out: serving never ranks them, so they would only reward a model that scores items
no head can see. And the popularity the page is judged with (the ``popular`` head and the
feature statistics) is what serving would know at the window's end: the early part plus
every *other* user's late interactions. The ranker learned from those late interactions
through its labels; judged against a popularity frozen at the split, it would win on the
gate what it loses in serving, where popularity is as fresh as the ranker's knowledge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from laotie.feed.blend import head_scores
from laotie.feed.features import FeatureStats
from laotie.feed.signals import merge_interactions
from laotie.feed.sources import PopularSource, TrainingSet

#: held-out users whose candidate pages decide the blend
GATE_USERS = 1000
#: one bucket's gate users needed for the served ranker to be the judge: at the per-user
#: spread of the gate's NDCG@10 differences (sd about 0.19), a gap of 0.02 is beyond noise
#: from (1.96 * 0.19 / 0.02) ** 2 = 347 users on; 178, too few, missed a gap of 0.018
MIN_GATE_USERS = 400
#: buckets held out when the ranker is cross-fitted (half the users) and when it is not
CROSS_FIT_BUCKETS = 5
SERVED_JUDGE_BUCKETS = 1

_SCHEMA = {"user_id": pl.Int64, "item_id": pl.Int64, "relevant": pl.Boolean, "ts_ms": pl.Int64}


def _bucket(users: np.ndarray) -> np.ndarray:
    """Each user's bucket, 0-9, by a hash of the id."""
    return np.asarray(users) * 2654435761 % 10


def held_out(users: np.ndarray, buckets: int = CROSS_FIT_BUCKETS) -> np.ndarray:
    """The users (``buckets`` in ten, by a hash of the id) whose rows the judging ranker is
    not fitted on."""
    return _bucket(users) >= 10 - buckets


def gate_order(users: np.ndarray) -> np.ndarray:
    """``users`` (unique) in the order the gate takes them: the served judge's bucket first,
    each bucket by id."""
    users = np.unique(np.asarray(users, np.int64))
    return users[np.argsort(-_bucket(users), kind="stable")]


def gate_rows(
    late: pl.DataFrame,
    lists: dict[str, dict[int, np.ndarray]],
    touched: pl.DataFrame,
    *,
    ts_ms: int,
    buckets: int = CROSS_FIT_BUCKETS,
) -> pl.DataFrame:
    """Candidate rows (user, item, relevant, ts), by user id, of up to ``GATE_USERS`` users
    held out in ``buckets`` (taken in ``gate_order``) whose early candidates (``lists``: each
    source's list per user) hold an item they went on to like in ``late``; ``touched``'s
    (user, item) pairs (the early part) are not candidates."""
    liked = late.filter(
        pl.col("positive") & pl.Series(held_out(late["user_id"].to_numpy(), buckets))
    )
    good_items = dict(liked.group_by("user_id").agg(pl.col("item_id")).iter_rows())
    before = dict(touched.group_by("user_id").agg(pl.col("item_id")).iter_rows())
    users, items, relevant = [], [], []
    for user in gate_order(np.fromiter(good_items, np.int64, len(good_items))).tolist():
        good = good_items[user]
        found = [by_user[user] for by_user in lists.values() if user in by_user]
        if not found:
            continue
        pool = np.unique(np.concatenate(found))
        pool = pool[(pool >= 0) & ~np.isin(pool, before.get(user, []))]
        hit = np.isin(pool, np.asarray(good, np.int64))
        if not hit.any():
            continue
        users.append(np.full(len(pool), user, np.int64))
        items.append(pool)
        relevant.append(hit)
        if len(users) == GATE_USERS:
            break
    if not users:
        return pl.DataFrame(schema=_SCHEMA)
    return (
        pl.DataFrame(
            {
                "user_id": np.concatenate(users),
                "item_id": np.concatenate(items),
                "relevant": np.concatenate(relevant),
            }
        )
        .with_columns(pl.lit(ts_ms, pl.Int64).alias("ts_ms"))
        .sort("user_id", maintain_order=True)
    )


def gate_heads(
    gate: pl.DataFrame, lists: dict[str, dict[int, np.ndarray]]
) -> dict[str, np.ndarray]:
    """Each source's score (``blend.head_scores``) of every gate row."""
    heads = {name: np.zeros(gate.height, np.float32) for name in lists}
    users, items = gate["user_id"].to_numpy(), gate["item_id"].to_numpy()
    bounds = np.flatnonzero(np.diff(users)) + 1  # gate rows come grouped by user
    for rows in np.split(np.arange(gate.height), bounds):
        if len(rows):
            user = int(users[rows[0]])
            for name, by_user in lists.items():
                found = by_user.get(user, np.empty(0, np.int64))
                heads[name][rows] = head_scores(found, items[rows])
    return heads


def serving_view(
    early: TrainingSet,
    late: pl.DataFrame,
    lists: dict[str, dict[int, np.ndarray]],
    *,
    half_life_ms: int,
    depth: int,
    buckets: int = CROSS_FIT_BUCKETS,
) -> tuple[dict[str, dict[int, np.ndarray]], FeatureStats, int]:
    """``lists`` with the held-out users' (``buckets`` in ten) ``popular`` list as of the
    window's end, the feature statistics then, and that end (ms): popularity from the early
    part plus the other users' ``late`` interactions (the held-out users' own late part is
    what the gate judges)."""
    others = late.filter(~pl.Series(held_out(late["user_id"].to_numpy(), buckets)))
    pairs = merge_interactions(early.pairs, others)
    end_ms = int(late["last_ts_ms"].to_numpy().max()) + 1 if late.height else early.now_ms
    now = TrainingSet(
        catalog=early.catalog,
        events=early.events,
        pairs=pairs,
        state=early.state,
        now_ms=end_ms,
        n_users=early.n_users,
    )
    popular = PopularSource(half_life_ms=half_life_ms).fit(now)
    popular.bind(catalog=early.catalog, state=early.state, clock=None)  # type: ignore[arg-type]
    stats = FeatureStats.fit(
        pairs, early.catalog, n_users=early.n_users, popularity=popular.popularity_
    )
    fresh = dict(lists)
    if "popular" in lists:
        users = np.fromiter(lists["popular"], np.int64, len(lists["popular"]))
        fresh["popular"] = {
            **lists["popular"],
            **{
                int(user): popular.recommend_one(int(user), depth)[0]
                for user in users[held_out(users, buckets)]
            },
        }
    return fresh, stats, end_ms


@dataclass(frozen=True)
class Gate:
    """The gate's candidate rows (``gate_rows``), the lists and feature statistics they are
    judged with (``serving_view``), and the buckets of users held out of the judge's fit."""

    rows: pl.DataFrame
    lists: dict[str, dict[int, np.ndarray]]
    stats: FeatureStats
    buckets: int


def judged_gate(
    early: TrainingSet,
    late: pl.DataFrame,
    lists: dict[str, dict[int, np.ndarray]],
    *,
    half_life_ms: int,
    depth: int,
) -> Gate:
    """The gate of one bucket of users (the served ranker judges them) when it holds at least
    ``MIN_GATE_USERS`` users' pages, else of half the users (a cross-fitted ranker judges).
    A log whose bucket has fewer users with a late positive than that is not tried."""
    touched = early.pairs.select("user_id", "item_id")
    liking = late.filter(pl.col("positive"))["user_id"].unique().to_numpy()
    large = held_out(liking, SERVED_JUDGE_BUCKETS).sum() >= MIN_GATE_USERS
    tried = (SERVED_JUDGE_BUCKETS, CROSS_FIT_BUCKETS) if large else (CROSS_FIT_BUCKETS,)
    for buckets in tried:
        fresh, stats, end_ms = serving_view(
            early, late, lists, half_life_ms=half_life_ms, depth=depth, buckets=buckets
        )
        rows = gate_rows(late, fresh, touched, ts_ms=end_ms, buckets=buckets)
        if rows["user_id"].n_unique() >= MIN_GATE_USERS:
            break
    return Gate(rows, fresh, stats, buckets)
