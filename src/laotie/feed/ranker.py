"""Multi-task ranking: one LightGBM model per objective, D2Q watch time, and their fusion inputs.

Objectives: ``play``, ``long_view``, ``like``, ``follow``, ``hate`` (binary) and
``watch_quantile`` — the quantile of watch time within the item's duration bucket (Kuaishou's
duration-debiased D2Q), so long items are not favoured just because they are long.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from laotie.core.errors import ArtefactError
from laotie.feed.features import CATEGORICAL, FEATURES

BINARY_OBJECTIVES: tuple[str, ...] = ("play", "long_view", "like", "follow", "hate")
OBJECTIVES: tuple[str, ...] = (*BINARY_OBJECTIVES, "watch_quantile")
_QUANTILES = np.linspace(0.0, 1.0, 101)


def duration_buckets(durations: np.ndarray, *, buckets: int) -> np.ndarray:
    """Interior bucket edges (ms) at equal-count quantiles of the positive durations."""
    positive = durations[durations > 0]
    if not len(positive):
        return np.empty(0, np.float64)
    return np.unique(np.quantile(positive, np.linspace(0, 1, buckets + 1)[1:-1]))


def watch_quantiles(
    watch_ms: np.ndarray, durations: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """D2Q target per row (percentile of watch time in its bucket, 0..1) and each bucket's
    watch-time quantile table (buckets x 101, ms) for mapping predictions back to ms."""
    bucket = np.searchsorted(edges, durations, side="right")
    target = np.zeros(len(watch_ms), np.float64)
    table = np.zeros((len(edges) + 1, len(_QUANTILES)), np.float64)
    for b in range(len(edges) + 1):
        rows = np.flatnonzero((bucket == b) & (durations > 0))
        if not len(rows):
            continue
        values = watch_ms[rows].astype(np.float64)
        order = np.sort(values)
        lo = np.searchsorted(order, values, side="left")
        hi = np.searchsorted(order, values, side="right")
        target[rows] = (lo + hi) / (2.0 * len(values))
        table[b] = np.quantile(values, _QUANTILES)
    return target, table


class Ranker:
    """One LightGBM booster per objective (a constant where the labels have one class)."""

    def __init__(
        self,
        *,
        n_estimators: int = 80,
        num_leaves: int = 31,
        learning_rate: float = 0.1,
        min_data_in_leaf: int = 40,
        rows_per_leaf: int = 1000,
        duration_buckets: int = 10,
        num_threads: int = 0,
        random_state: int = 0,
    ) -> None:
        self.n_estimators = n_estimators
        self.num_leaves = num_leaves
        self.learning_rate = learning_rate
        self.min_data_in_leaf = min_data_in_leaf
        self.rows_per_leaf = rows_per_leaf
        self.duration_buckets = duration_buckets
        self.num_threads = num_threads
        self.random_state = random_state

    def capacity(self, rows: int) -> dict[str, int]:
        """Tree size for ``rows`` training rows: a leaf per ``rows_per_leaf`` rows (4 to
        ``num_leaves``), so small logs grow small trees; leaves hold at most a tenth of them."""
        return {
            "num_leaves": min(self.num_leaves, max(4, rows // max(self.rows_per_leaf, 1))),
            "min_data_in_leaf": min(self.min_data_in_leaf, max(2, rows // 10)),
        }

    def params(self, objective: str, *, rows: int) -> dict[str, object]:
        """LightGBM parameters for one objective fitted on ``rows`` rows."""
        return {
            "objective": "cross_entropy" if objective == "watch_quantile" else "binary",
            **self.capacity(rows),
            "learning_rate": self.learning_rate,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "num_threads": self.num_threads,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }

    def training_targets(
        self, labels: dict[str, np.ndarray], watch_ms: np.ndarray, durations: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Binary labels plus the D2Q target over played rows with a duration (NaN elsewhere);
        sets the duration buckets and their watch-time quantile tables from those rows."""
        played = labels["play"].astype(bool) & (durations > 0)
        self.edges_ = duration_buckets(durations[played], buckets=self.duration_buckets)
        target = np.full(len(durations), np.nan)
        target[played], self.watch_table_ = watch_quantiles(
            watch_ms[played], durations[played], self.edges_
        )
        return {
            **{k: labels[k].astype(np.float64) for k in BINARY_OBJECTIVES},
            "watch_quantile": target,
        }

    def fit(
        self,
        features: np.ndarray,
        labels: dict[str, np.ndarray],
        *,
        watch_ms: np.ndarray,
        durations: np.ndarray,
        fitted: Callable[[Ranker, str], object] | None = None,
    ) -> Ranker:
        """Fit every objective on the same feature matrix; returns self. ``fitted(self,
        objective)`` is called as each objective is ready to predict, while the next fits."""
        import lightgbm as lgb

        targets = self.training_targets(labels, watch_ms, durations)
        leaf = self.capacity(len(features))["min_data_in_leaf"]
        categorical = [FEATURES.index(name) for name in CATEGORICAL]
        self.models_: dict[str, Any] = {}
        self.constants_: dict[str, float] = {}
        dataset = lgb.Dataset(
            features,
            free_raw_data=False,
            categorical_feature=categorical,
            feature_name=list(FEATURES),
            params={"verbosity": -1, "min_data_in_leaf": leaf},
        ).construct()
        for objective, target in targets.items():
            rows = ~np.isnan(target)
            if rows.sum() < 2 * leaf or np.ptp(target[rows]) == 0:
                self.constants_[objective] = float(target[rows].mean()) if rows.any() else 0.0
                if fitted is not None:
                    fitted(self, objective)
                continue
            params = self.params(objective, rows=len(features))
            if rows.all():
                dataset.set_label(target)
                train_set = dataset
            else:  # D2Q learns from played rows only
                train_set = lgb.Dataset(
                    features[rows],
                    label=target[rows],
                    categorical_feature=categorical,
                    feature_name=list(FEATURES),
                    params={"verbosity": -1, "min_data_in_leaf": leaf},
                )
            self.models_[objective] = lgb.train(
                params, train_set, num_boost_round=self.n_estimators
            )
            if fitted is not None:
                fitted(self, objective)
        return self

    def predict(
        self,
        features: np.ndarray,
        *,
        objectives: tuple[str, ...] = OBJECTIVES,
        rounds: int = 0,
        threads: int = 1,
    ) -> dict[str, np.ndarray]:
        """Each objective's prediction (of ``objectives``) for the rows of ``features``, from
        the first ``rounds`` boosting rounds (0: all of them), on ``threads`` threads (0: all
        cores; serving uses one, a request's few hundred rows do not pay for more)."""
        out: dict[str, np.ndarray] = {}
        for objective in objectives:
            model = self.models_.get(objective)
            if model is None:
                out[objective] = np.full(
                    len(features), self.constants_.get(objective, 0.0), np.float32
                )
            else:
                out[objective] = np.asarray(
                    model.predict(features, num_threads=threads, num_iteration=rounds or None),
                    dtype=np.float32,  # type: ignore[attr-defined]
                )
        return out

    def expected_watch_ms(self, quantile: np.ndarray, durations: np.ndarray) -> np.ndarray:
        """Map predicted D2Q quantiles back to watch time (ms) in each item's duration bucket."""
        bucket = np.searchsorted(self.edges_, durations, side="right")
        rows = self.watch_table_[bucket]
        position = np.clip(quantile, 0, 1) * (len(_QUANTILES) - 1)
        low = np.floor(position).astype(int)
        high = np.minimum(low + 1, len(_QUANTILES) - 1)
        frac = position - low
        idx = np.arange(len(quantile))
        return rows[idx, low] * (1 - frac) + rows[idx, high] * frac

    def save(self, path: Path) -> None:
        """Write boosters (as model text bytes), constants and D2Q tables to ``path`` (.npz)."""
        arrays = {
            f"model_{name}": np.frombuffer(model.model_to_string().encode(), dtype=np.uint8)  # type: ignore[attr-defined]
            for name, model in self.models_.items()
        }
        meta = {
            "params": {
                k: getattr(self, k)
                for k in (
                    "n_estimators",
                    "num_leaves",
                    "learning_rate",
                    "min_data_in_leaf",
                    "rows_per_leaf",
                    "duration_buckets",
                    "num_threads",
                    "random_state",
                )
            },
            "constants": self.constants_,
        }
        arrays |= {
            "meta": np.array(json.dumps(meta)),
            "edges": self.edges_,
            "watch_table": self.watch_table_,
        }
        with Path(path).open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: Path) -> Ranker:
        """Read a ranker written by ``save``; ``ArtefactError`` if missing or corrupt."""
        import lightgbm as lgb

        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                ranker = cls(**meta["params"])
                ranker.constants_ = {k: float(v) for k, v in meta["constants"].items()}
                ranker.edges_ = data["edges"]
                ranker.watch_table_ = data["watch_table"]
                ranker.models_ = {
                    key[len("model_") :]: lgb.Booster(model_str=bytes(data[key]).decode())
                    for key in data.files
                    if key.startswith("model_")
                }
            stale = [n for n, m in ranker.models_.items() if m.feature_name() != list(FEATURES)]
            if stale:
                raise ArtefactError(
                    f"{path}: the {', '.join(stale)} model was trained on other features"
                    " (another laotie version), run `laotie train`",
                    path=str(path),
                )
        except (OSError, ValueError, KeyError, UnicodeDecodeError, lgb.basic.LightGBMError) as exc:
            raise ArtefactError(f"cannot load ranker from {path}: {exc}", path=str(path)) from exc
        return ranker
