"""Fits of simulator parameters to reference data, so the defaults can be re-derived.

``fit_video_durations`` fits a lognormal to KuaiRand-Pure's ``video_duration`` (the defaults
``world.video_log_mean_s``/``video_log_sd_s`` are this fit); ``activity_shares`` reads the
shares of ``user_active_degree`` from a KuaiRand/KuaiRec user feature table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from laotie.core.errors import InvalidInput

#: KuaiRand's user_active_degree values folded into the simulator's four activity levels
ACTIVITY_GROUPS = {
    "full_active": 0,
    "high_active": 1,
    "middle_active": 2,
}


@dataclass(frozen=True)
class DurationFit:
    """A lognormal fit of durations in seconds: mean and sd of ln(s), sample size, quantiles."""

    log_mean_s: float
    log_sd_s: float
    n: int
    median_s: float
    p90_s: float
    ks_statistic: float


def _read(path: Path, columns: list[str]) -> pl.DataFrame:
    if not path.is_file():
        raise InvalidInput(f"{path} not found", field="path")
    return pl.read_csv(path, columns=columns, infer_schema_length=10_000)


def fit_video_durations(path: Path) -> DurationFit:
    """Lognormal fit of ``video_duration`` (ms) in KuaiRand's video_features_basic table."""
    frame = _read(path, ["video_duration"])
    seconds = frame["video_duration"].drop_nulls().cast(pl.Float64).to_numpy() / 1000.0
    seconds = np.sort(seconds[seconds > 0])
    logs = np.log(seconds)
    mu, sd = float(logs.mean()), float(logs.std())
    from scipy.stats import kstest

    ks = float(kstest(logs, "norm", args=(mu, sd)).statistic)
    return DurationFit(
        log_mean_s=mu,
        log_sd_s=sd,
        n=len(seconds),
        median_s=float(np.median(seconds)),
        p90_s=float(np.percentile(seconds, 90)),
        ks_statistic=ks,
    )


def activity_shares(path: Path) -> tuple[float, float, float, float]:
    """Shares of full/high/middle/other activity in a user feature table's user_active_degree."""
    frame = _read(path, ["user_active_degree"])
    levels = frame["user_active_degree"].to_list()
    counts = np.zeros(4)
    for level in levels:
        counts[ACTIVITY_GROUPS.get(str(level), 3)] += 1
    shares = counts / max(counts.sum(), 1)
    return (float(shares[0]), float(shares[1]), float(shares[2]), float(shares[3]))


def stationary_dau_mau(shares: tuple[float, ...], base_return: tuple[float, ...]) -> float:
    """Long-run DAU/MAU at neutral satisfaction and full trust: E[daily actives] over
    E[users active at least once in 30 days], with independent daily returns per level."""
    p = np.asarray(base_return, dtype=np.float64)
    s = np.asarray(shares, dtype=np.float64)
    return float((s * p).sum() / (s * (1 - (1 - p) ** 30)).sum())
