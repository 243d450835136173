"""The blend's gate: held-out users' candidate pages, as serving would build them.

One user in ten (by a hash of the id) is held out of the ranker's fit. For up to
``GATE_USERS`` of them the early sources' lists (what retrieval offered before the label
split) make a candidate page, less what the user had already touched; the items among them
the user went on to like are the relevant rows. Items the user liked that no source listed
are left out: serving never ranks them, so they would only reward a model that scores items
no head can see, against the heads that serving blends with.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.feed.blend import head_scores

#: held-out users whose candidate pages decide the blend
GATE_USERS = 300

_SCHEMA = {"user_id": pl.Int64, "item_id": pl.Int64, "relevant": pl.Boolean, "ts_ms": pl.Int64}


def held_out(users: np.ndarray) -> np.ndarray:
    """The users (one in ten, by a hash of the id) whose rows the ranker is not fitted on."""
    return (np.asarray(users) * 2654435761 % 10) == 0


def gate_rows(
    late: pl.DataFrame,
    lists: dict[str, dict[int, np.ndarray]],
    touched: pl.DataFrame,
    *,
    split_ms: int,
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
    ).with_columns(pl.lit(split_ms, pl.Int64).alias("ts_ms"))


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
