"""The blend's gate: held-out users' candidate pages, as serving would build them.

The ranker is cross-fitted for it: a second ranker, the gate's, is fitted on the rows of
half the users (by a hash of the id) and judges the other half, the held-out users; the
served ranker is fitted on every user's rows. For up to ``GATE_USERS`` held-out users the
sources' lists make a candidate page, less what the user had already touched; the items
among them the user went on to like are the relevant rows. With one user in ten held out
(and the served ranker as the judge) the 4,000-user generated world gave the gate 178 users,
too few to tell a better blend from the fusion beyond noise.

Two rules keep the gate a fair copy of serving. Items the user liked that no source listed
are left out: serving never ranks them, so they would only reward a model that scores items
no head can see. And the popularity the page is judged with (the ``popular`` head and the
feature statistics) is what serving would know at the window's end: the early part plus
every *other* user's late interactions. The ranker learned from those late interactions
through its labels; judged against a popularity frozen at the split, it would win on the
gate what it loses in serving, where popularity is as fresh as the ranker's knowledge.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.feed.blend import head_scores
from laotie.feed.features import FeatureStats
from laotie.feed.signals import merge_interactions
from laotie.feed.sources import PopularSource, TrainingSet

#: held-out users whose candidate pages decide the blend
GATE_USERS = 1000

_SCHEMA = {"user_id": pl.Int64, "item_id": pl.Int64, "relevant": pl.Boolean, "ts_ms": pl.Int64}


def held_out(users: np.ndarray) -> np.ndarray:
    """The users (one in two, by a hash of the id) whose rows the gate's ranker is not
    fitted on."""
    return (np.asarray(users) * 2654435761 % 10) >= 5


def gate_rows(
    late: pl.DataFrame,
    lists: dict[str, dict[int, np.ndarray]],
    touched: pl.DataFrame,
    *,
    ts_ms: int,
) -> pl.DataFrame:
    """Candidate rows (user, item, relevant, ts) of up to ``GATE_USERS`` held-out users whose
    early candidates (``lists``: each source's list per user) hold an item they went on to
    like in ``late``; ``touched``'s (user, item) pairs (the early part) are not candidates."""
    liked = late.filter(pl.col("positive") & pl.Series(held_out(late["user_id"].to_numpy())))
    liked = liked.group_by("user_id").agg(pl.col("item_id")).sort("user_id")
    before = dict(touched.group_by("user_id").agg(pl.col("item_id")).iter_rows())
    users, items, relevant = [], [], []
    for user, good in liked.iter_rows():
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
    return pl.DataFrame(
        {
            "user_id": np.concatenate(users),
            "item_id": np.concatenate(items),
            "relevant": np.concatenate(relevant),
        }
    ).with_columns(pl.lit(ts_ms, pl.Int64).alias("ts_ms"))


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
) -> tuple[dict[str, dict[int, np.ndarray]], FeatureStats, int]:
    """``lists`` with the held-out users' ``popular`` list as of the window's end, the
    feature statistics then, and that end (ms): popularity from the early part plus the other
    users' ``late`` interactions (the held-out users' own late part is what the gate judges)."""
    others = late.filter(~pl.Series(held_out(late["user_id"].to_numpy())))
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
                for user in users[held_out(users)]
            },
        }
    return fresh, stats, end_ms
