"""Negatives for the ranker: sampled rows that stand in for impressions a log lacks.

Ratings and play logs hold no impressions that were not played, so the ranker's negatives are
drawn: half uniformly over the catalog, half from what retrieval would offer the row's user
(their early candidate lists, less what they touched), so that the ranker learns which
candidates a user wants rather than how candidates differ from random items.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.feed.catalog import Catalog
from laotie.feed.gate import GATE_USERS, gate_order, held_out
from laotie.feed.rows import LABELS
from laotie.feed.sources import Source


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
        rows = np.flatnonzero(rng.random(count) < CANDIDATE_NEGATIVE_SHARE)
        drawn = _draw_from_pools(pools, users[rows], rng.random(len(rows)))
        items[rows] = np.where(drawn >= 0, drawn, items[rows])
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
NEGATIVE_POOL = 200
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
    if len(chosen) > _POOL_USERS:  # the gate's held-out users (in the gate's order) and a sample
        gate = gate_order(chosen[held_out(chosen)])[: 2 * GATE_USERS]
        rest = np.setdiff1d(chosen, gate)
        wanted = min(len(rest), max(_POOL_USERS - len(gate), 0))
        sample = np.random.default_rng(0).choice(rest, wanted, replace=False)
        chosen = np.union1d(gate, sample)
    found_by_source = {  # a source with a batch ``recommend`` answers all users at once
        name: source.recommend(chosen, NEGATIVE_POOL)[0] for name, source in sources.items()
    }
    for row, user in enumerate(chosen.tolist()):
        for name in sources:
            lists[name][user] = found_by_source[name][row]
        found = np.unique(np.concatenate([lists[name][user] for name in sources]))
        found = found[found >= 0]
        pools[user] = found[~np.isin(found, by_user.get(user, []))]
    return pools, lists


def negatives_wanted(labelled: pl.DataFrame, per_positive: int) -> int:
    """Uniform negatives that top the shown-not-played rows of ``labelled`` up to
    ``per_positive`` negatives per played row (none where impressions supply enough)."""
    played = int(labelled["play"].sum())
    return max(0, per_positive * played - (labelled.height - played))


def _draw_from_pools(
    pools: dict[int, np.ndarray], users: np.ndarray, uniform: np.ndarray
) -> np.ndarray:
    """One item per row from its user's pool (``uniform``: a draw in [0, 1) per row); -1 where
    the user has no pool."""
    keys = np.fromiter(pools, np.int64, len(pools))
    order = np.argsort(keys)
    keys = keys[order]
    sizes = np.array([len(pools[int(k)]) for k in keys], np.int64)
    flat = np.concatenate([pools[int(k)] for k in keys] + [np.empty(0, np.int64)])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    at = np.minimum(np.searchsorted(keys, users), max(len(keys) - 1, 0))
    known = (len(keys) > 0) & (keys[at] == users) if len(keys) else np.zeros(len(users), bool)
    known &= sizes[at] > 0 if len(keys) else known
    out = np.full(len(users), -1, np.int64)
    picks = starts[at[known]] + (uniform[known] * sizes[at[known]]).astype(np.int64)
    out[known] = flat[picks].astype(np.int64)
    return out
