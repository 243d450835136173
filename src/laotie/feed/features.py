"""Ranking features: smoothed item/user/creator statistics, affinities, recency, source signals.

Statistics are learned from a window of interactions (``FeatureStats.fit``) and looked up for
(user, item) pairs in one vectorised call, identically for training rows and for a request's
candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.core.errors import ArtefactError
from laotie.feed.catalog import Catalog

#: names of the feature columns, in order
FEATURES: tuple[str, ...] = (
    "item_log_exposure",
    "item_play_rate",
    "item_long_view_rate",
    "item_like_rate",
    "item_follow_rate",
    "item_hate_rate",
    "item_watch_ratio",
    "item_log_popularity",
    "log_duration_s",
    "kind",
    "age_days",
    "aigc",
    "user_log_exposure",
    "user_play_rate",
    "user_like_rate",
    "user_hate_rate",
    "user_watch_ratio",
    "user_log_positives",
    "user_category_affinity",
    "user_creator_log_positives",
    "creator_play_rate",
    "als_affinity",
    "covisit_score",
    "follows_creator",
    "is_next_item",
    "user_category_play_lift",
    "user_parent_category_affinity",
    "ease_score",
)
#: features LightGBM treats as categorical
CATEGORICAL: tuple[str, ...] = ("kind", "aigc")
#: pseudo-impressions of the user's own play rate behind each (user, category) play rate
_USER_CATEGORY_STRENGTH = 5.0
_RATES = ("play", "long_view", "like", "follow", "hate")


def _smoothed(hits: np.ndarray, trials: np.ndarray, prior: float, strength: float) -> np.ndarray:
    """Bayesian (beta prior) smoothed rate: (hits + strength*prior) / (trials + strength)."""
    return ((hits + strength * prior) / (trials + strength)).astype(np.float32)


@dataclass
class FeatureStats:
    """Learned lookup tables; all numpy arrays so they save to .npz without pickles."""

    item_table: np.ndarray
    user_table: np.ndarray
    creator_play_rate: np.ndarray
    popularity: np.ndarray
    uc_keys: np.ndarray
    uc_values: np.ndarray
    ucr_keys: np.ndarray
    ucr_values: np.ndarray
    ucp_keys: np.ndarray
    ucp_values: np.ndarray
    up_keys: np.ndarray
    up_values: np.ndarray
    parent_of: np.ndarray
    n_categories: np.ndarray
    n_creators: np.ndarray

    @classmethod
    def fit(
        cls,
        pairs: pl.DataFrame,
        catalog: Catalog,
        *,
        n_users: int,
        popularity: np.ndarray,
        smoothing: float = 20.0,
    ) -> FeatureStats:
        """Statistics of ``pairs`` (``signals.interactions`` rows) for ``n_users`` users."""
        size = catalog.size
        items = pairs["item_id"].to_numpy()
        users = pairs["user_id"].to_numpy()
        labels = {name: pairs[name].to_numpy().astype(np.float64) for name in _RATES}
        ratio = np.clip(
            pairs["watch_ms"].to_numpy() / np.maximum(pairs["duration_ms"].to_numpy(), 1), 0, 2
        )
        has_watch = (pairs["duration_ms"].to_numpy() > 0).astype(np.float64)
        positive = pairs["positive"].to_numpy().astype(np.float64)

        def table(keys: np.ndarray, length: int, names: tuple[str, ...]) -> list[np.ndarray]:
            trials = np.bincount(keys, minlength=length).astype(np.float64)
            cols = [np.log1p(trials).astype(np.float32)]
            for name in names:
                prior = float(labels[name].mean()) if len(keys) else 0.0
                hits = np.bincount(keys, weights=labels[name], minlength=length)
                cols.append(_smoothed(hits, trials, prior, smoothing))
            watched = np.bincount(keys, weights=has_watch, minlength=length)
            total = np.bincount(keys, weights=ratio * has_watch, minlength=length)
            prior = float(total.sum() / max(watched.sum(), 1))
            cols.append(_smoothed(total, watched, prior, smoothing))
            return cols

        item_cols = table(items, size, _RATES)
        item_cols.append(np.log1p(np.maximum(popularity[:size], 0)).astype(np.float32))
        user_cols = table(users, n_users, ("play", "like", "hate"))
        user_cols.append(
            np.log1p(np.bincount(users, weights=positive, minlength=n_users)).astype(np.float32)
        )
        creators = catalog.creator[items]
        n_creators = int(catalog.creator.max(initial=-1)) + 1
        has_creator = creators >= 0
        c_trials = np.bincount(creators[has_creator], minlength=n_creators).astype(np.float64)
        c_hits = np.bincount(
            creators[has_creator], weights=labels["play"][has_creator], minlength=n_creators
        )
        creator_play = _smoothed(
            c_hits, c_trials, float(labels["play"].mean() if len(items) else 0), smoothing
        )
        n_categories = len(catalog.categories)
        pos = positive > 0
        user_pos = np.bincount(users[pos], minlength=n_users).astype(np.float64)
        categories = catalog.category[items].astype(np.int64)
        uc_keys, uc_values = _positive_shares(users[pos], categories[pos], n_categories, user_pos)
        parent_of = parent_categories(catalog.categories)
        up_keys, up_values = _positive_shares(
            users[pos], parent_of[categories[pos]], int(parent_of.max(initial=-1)) + 1, user_pos
        )
        user_play = user_cols[1].astype(np.float64)
        ucp = (
            pl.DataFrame({"k": users * n_categories + categories, "play": labels["play"]})
            .group_by("k")
            .agg(pl.len().alias("trials"), pl.col("play").sum().alias("hits"))
            .sort("k")
        )
        ucp_keys = ucp["k"].to_numpy().astype(np.int64)
        prior = user_play[ucp_keys // max(n_categories, 1)]
        ucp_values = (
            (ucp["hits"].to_numpy() + _USER_CATEGORY_STRENGTH * prior)
            / (ucp["trials"].to_numpy() + _USER_CATEGORY_STRENGTH)
            - prior
        ).astype(np.float32)
        keep = pos & has_creator
        ucr = (
            pl.DataFrame({"k": users[keep] * max(n_creators, 1) + creators[keep]})
            .group_by("k")
            .len()
            .sort("k")
        )
        return cls(
            item_table=np.stack(item_cols, axis=1),
            user_table=np.stack(user_cols, axis=1),
            creator_play_rate=creator_play,
            popularity=popularity.astype(np.float32),
            uc_keys=uc_keys,
            uc_values=uc_values,
            ucr_keys=ucr["k"].to_numpy().astype(np.int64),
            ucr_values=np.log1p(ucr["len"].to_numpy()).astype(np.float32),
            ucp_keys=ucp_keys,
            ucp_values=ucp_values,
            up_keys=up_keys,
            up_values=up_values,
            parent_of=parent_of,
            n_categories=np.array(n_categories, dtype=np.int64),
            n_creators=np.array(max(n_creators, 1), dtype=np.int64),
        )

    def item_means(self) -> np.ndarray:
        """Column means of the item table (for items the statistics have not seen), cached."""
        means = self.__dict__.get("_item_means")
        if means is None:
            table = self.item_table[:, 1:]
            means = table.mean(axis=0) if len(table) else np.zeros(table.shape[1], np.float32)
            self.__dict__["_item_means"] = means
        return means

    def save(self, path: Path) -> None:
        """Write every table to ``path`` (.npz)."""
        with Path(path).open("wb") as handle:
            np.savez(handle, **{f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def load(cls, path: Path) -> FeatureStats:
        """Read tables written by ``save``; ``ArtefactError`` if missing or corrupt."""
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [f.name for f in fields(cls) if f.name not in data.files]
                if missing:
                    raise ArtefactError(
                        f"{path} lacks {', '.join(missing)}: written by another laotie version,"
                        " run `laotie train`",
                        path=str(path),
                    )
                return cls(**{f.name: data[f.name] for f in fields(cls)})
        except (OSError, ValueError, KeyError) as exc:
            raise ArtefactError(
                f"cannot load feature stats from {path}: {exc}", path=str(path)
            ) from exc


def _positive_shares(
    users: np.ndarray, groups: np.ndarray, n_groups: int, user_positives: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys ``user * n_groups + group`` and each one's share of the user's positives
    (shrunk by 5 pseudo-positives), from one row per positive."""
    table = pl.DataFrame({"k": users * n_groups + groups}).group_by("k").len().sort("k")
    keys = table["k"].to_numpy().astype(np.int64)
    values = table["len"].to_numpy() / (user_positives[keys // max(n_groups, 1)] + 5.0)
    return keys, values.astype(np.float32)


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    if not len(keys):
        return np.zeros(query.shape, np.float32)
    pos = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0.0).astype(np.float32)


def build_features(
    stats: FeatureStats,
    catalog: Catalog,
    *,
    users: np.ndarray,
    items: np.ndarray,
    now_ms: np.ndarray | int,
    als_affinity: np.ndarray,
    covisit_score: np.ndarray,
    follows_creator: np.ndarray,
    is_next_item: np.ndarray,
    ease_score: np.ndarray | None = None,
) -> np.ndarray:
    """Feature matrix (rows x ``FEATURES``) for (user, item) pairs, float32."""
    items = np.asarray(items, dtype=np.int64)
    users = np.asarray(users, dtype=np.int64)
    rows = len(items)
    out = np.zeros((rows, len(FEATURES)), np.float32)
    item_known = items < len(stats.item_table)
    item_part = np.zeros((rows, stats.item_table.shape[1]), np.float32)
    item_part[item_known] = stats.item_table[items[item_known]]
    if not item_known.all():
        item_part[~item_known, 1:] = stats.item_means()
    out[:, 0:8] = item_part
    out[:, 8] = np.log1p(catalog.duration_ms[items] / 1000.0)
    out[:, 9] = catalog.kind[items]
    out[:, 10] = np.maximum(np.asarray(now_ms) - catalog.created_at_ms[items], 0) / MS_PER_DAY
    out[:, 11] = catalog.aigc[items]
    user_known = (users >= 0) & (users < len(stats.user_table))
    user_part = np.zeros((rows, stats.user_table.shape[1]), np.float32)
    user_part[user_known] = stats.user_table[users[user_known]]
    out[:, 12:18] = user_part
    n_cat = int(stats.n_categories)
    categories = catalog.category[items].astype(np.int64)
    category_known = categories < n_cat
    user_category = users[category_known] * n_cat + categories[category_known]
    out[category_known, 18] = _lookup(stats.uc_keys, stats.uc_values, user_category)
    out[category_known, 25] = _lookup(stats.ucp_keys, stats.ucp_values, user_category)
    n_parents = int(stats.parent_of.max(initial=-1)) + 1
    out[category_known, 26] = _lookup(
        stats.up_keys,
        stats.up_values,
        users[category_known] * n_parents + stats.parent_of[categories[category_known]],
    )
    creators = catalog.creator[items]
    known = (creators >= 0) & (creators < int(stats.n_creators))
    out[known, 19] = _lookup(
        stats.ucr_keys, stats.ucr_values, users[known] * int(stats.n_creators) + creators[known]
    )
    creator_known = (creators >= 0) & (creators < len(stats.creator_play_rate))
    out[creator_known, 20] = stats.creator_play_rate[creators[creator_known]]
    out[:, 21] = als_affinity
    out[:, 22] = covisit_score
    out[:, 23] = follows_creator
    out[:, 24] = is_next_item
    if ease_score is not None:
        out[:, 27] = ease_score
    return out


def parent_categories(categories: list[str]) -> np.ndarray:
    """Code of each category's first level ("美食/探店" -> "美食"), in order of appearance."""
    codes: dict[str, int] = {}
    return np.array(
        [codes.setdefault(name.split("/", 1)[0], len(codes)) for name in categories], np.int64
    )
