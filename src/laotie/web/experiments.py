"""The console's view of simulator A/B experiments, which run as ``sim.ab`` studio jobs.

The job row holds everything (params, status, progress, the newest run-log line, deltas), so
any serving process shows the same experiment and a restart forgets nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from laotie.core.errors import NotFound
from laotie.sim.ab_job import KIND, AbParams
from laotie.sim.config import Policy
from laotie.studio import JobView

POLICIES: tuple[str, ...] = get_args(Policy)


@dataclass(frozen=True)
class Experiment:
    """One A/B as the pages show it, read from its job."""

    job: JobView

    def __getattr__(self, name: str) -> Any:
        if name in AbParams.model_fields:
            return self.job.params.get(name)
        raise AttributeError(name)

    @property
    def id(self) -> str:
        """The job id."""
        return self.job.id

    @property
    def status(self) -> str:
        """queued, running, succeeded, failed or cancelled."""
        return self.job.status

    @property
    def done(self) -> bool:
        """True once it ended."""
        return self.job.done

    @property
    def progress(self) -> float:
        """Share of simulated days done, 0..1."""
        return self.job.progress

    @property
    def total_days(self) -> int:
        """Simulated days over both arms and every replicate."""
        return AbParams.model_validate(self.job.params).total_days

    @property
    def days_done(self) -> int:
        """Simulated days done so far."""
        return round(self.progress * self.total_days)

    @property
    def error(self) -> str | None:
        """Why it failed, if it did."""
        return self.job.error

    @property
    def deltas(self) -> list[dict[str, Any]]:
        """The compared KPIs once it succeeded."""
        return list((self.job.result or {}).get("deltas", []))

    @property
    def log(self) -> list[str]:
        """The run log: every simulated day once done, the newest day while it runs."""
        if self.job.result:
            return list(self.job.result.get("log", []))
        return [self.job.message] if self.job.message else []


def experiment_of(job: JobView) -> Experiment:
    """The experiment a job is; NotFound for a job of another kind."""
    if job.kind != KIND:
        raise NotFound(f"experiment {job.id!r} not found", field="experiment_id")
    return Experiment(job)
