"""Simulator A/B experiments started from the console: one at a time, in a worker thread.

Each experiment runs ``laotie.sim.ab.run_ab`` (the same code as ``laotie sim ab``) on arm
homes under ``<home>/sim/console/<id>``. Progress and results live in this process's memory:
a restart forgets them (the arm homes stay on disk).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from laotie.core.errors import InvalidInput, LaotieError, NotFound
from laotie.core.ids import new_id
from laotie.sim import DaySummary, SimConfig, load_config
from laotie.sim.ab import Delta, run_ab
from laotie.sim.config import Policy

log = logging.getLogger(__name__)
POLICIES: tuple[str, ...] = get_args(Policy)
#: limits of a console experiment (the CLI allows more; a browser waits on this one)
MAX_USERS, MAX_DAYS, MAX_REPLICATES, MAX_VIDEOS = 2_000, 14, 10, 20_000
#: experiments remembered (oldest forgotten first)
KEPT = 20


@dataclass
class Experiment:
    """One A/B: its settings, how far it got, and its deltas once done."""

    id: str
    policy_a: str
    policy_b: str
    users: int
    days: int
    replicates: int
    videos: int
    status: str = "queued"
    days_done: int = 0
    log: list[str] = field(default_factory=list)
    deltas: list[Delta] = field(default_factory=list)
    error: str | None = None

    @property
    def total_days(self) -> int:
        """Simulated days over both arms and every replicate."""
        return 2 * self.days * self.replicates

    @property
    def progress(self) -> float:
        """Share of simulated days done, 0..1."""
        return min(1.0, self.days_done / self.total_days)

    @property
    def done(self) -> bool:
        """True once it succeeded or failed."""
        return self.status in ("succeeded", "failed")


def _check(value: int, name: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidInput(
            f"{name} must be {low}..{high}, got {value}", field=name, limit=f"{low}..{high}"
        )
    return value


class ExperimentRunner:
    """Runs console experiments one after another in a single background thread."""

    def __init__(self, home: Path) -> None:
        self.root = home / "sim" / "console"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="laotie-ab")
        self._lock = threading.Lock()
        self._experiments: dict[str, Experiment] = {}

    def start(
        self, *, policy_a: str, policy_b: str, users: int, days: int, replicates: int, videos: int
    ) -> Experiment:
        """Queue an A/B of two feed policies on the same simulated population."""
        for name, policy in (("policy_a", policy_a), ("policy_b", policy_b)):
            if policy not in POLICIES:
                raise InvalidInput(
                    f"{name} must be one of {POLICIES}", field=name, limit=list(POLICIES)
                )
        experiment = Experiment(
            id=new_id("ab_"),
            policy_a=policy_a,
            policy_b=policy_b,
            users=_check(users, "users", 1, MAX_USERS),
            days=_check(days, "days", 1, MAX_DAYS),
            replicates=_check(replicates, "replicates", 1, MAX_REPLICATES),
            videos=_check(videos, "videos", 10, MAX_VIDEOS),
        )
        with self._lock:
            self._experiments[experiment.id] = experiment
            for old in list(self._experiments)[:-KEPT]:
                if self._experiments[old].done:
                    del self._experiments[old]
        self._pool.submit(self._run, experiment)
        return experiment

    def get(self, experiment_id: str) -> Experiment:
        """An experiment by id; NotFound when this process does not know it."""
        with self._lock:
            found = self._experiments.get(experiment_id)
        if found is None:
            raise NotFound(f"experiment {experiment_id!r} not found", field="experiment_id")
        return found

    def list(self) -> list[Experiment]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._experiments.values()))

    def _config(self, experiment: Experiment, policy: str) -> SimConfig:
        config = load_config(users=experiment.users, days=experiment.days, policy=policy)
        data = config.model_dump()
        data["world"]["videos"] = experiment.videos
        data["world"]["creators"] = max(10, experiment.videos // 16)
        return SimConfig.model_validate(data)

    def _run(self, experiment: Experiment) -> None:
        experiment.status = "running"

        def progress(arm: str, summary: DaySummary) -> None:
            experiment.days_done += 1
            experiment.log.append(
                f"{arm} {summary.label}: DAU {summary.dau}, {summary.impressions} impressions"
            )

        try:
            result = run_ab(
                self._config(experiment, experiment.policy_a),
                self._config(experiment, experiment.policy_b),
                self.root / experiment.id,
                replicates=experiment.replicates,
                progress=progress,
            )
        except LaotieError as exc:
            experiment.error, experiment.status = exc.message, "failed"
            return
        except Exception as exc:  # a worker thread must record, not lose, what went wrong
            log.exception("console experiment %s failed", experiment.id)
            experiment.error, experiment.status = f"{type(exc).__name__}: {exc}", "failed"
            return
        experiment.deltas = result.deltas
        experiment.status = "succeeded"

    def shutdown(self) -> None:
        """Stop taking work; a running experiment finishes in the background."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def runner_of(state: Any, home: Path) -> ExperimentRunner:
    """The app's experiment runner, created on first use."""
    runner: ExperimentRunner | None = getattr(state, "experiments", None)
    if runner is None:
        runner = state.experiments = ExperimentRunner(home)
    return runner
