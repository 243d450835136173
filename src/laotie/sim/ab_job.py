"""Simulator A/B experiments as a job kind (``sim.ab``): queued from the console by an admin,
run by whichever worker takes it, with progress, cancel, retry and deltas kept in the job row
(so every serving process sees them and a restart forgets nothing).

Each job runs ``run_ab`` (the same code as ``laotie sim ab``) on arm homes under
``<home>/sim/console/<job id>``, at sizes a person waits for.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from laotie.core.kinds import Role
from laotie.sim.ab import run_ab
from laotie.sim.config import Policy, SimConfig, load_config
from laotie.sim.runner import DaySummary
from laotie.studio import JobContext, JobRunner, Submitter, parse_params

KIND = "sim.ab"
#: run-log lines kept with the result (the newest)
LOG_LINES = 400


class AbParams(BaseModel):
    """An A/B of two feed policies on one simulated population, at console sizes."""

    model_config = ConfigDict(extra="forbid")
    policy_a: Policy
    policy_b: Policy
    users: int = Field(default=200, ge=1, le=2_000)
    days: int = Field(default=3, ge=1, le=14)
    replicates: int = Field(default=3, ge=1, le=10)
    videos: int = Field(default=1_000, ge=10, le=20_000)

    @property
    def total_days(self) -> int:
        """Simulated days over both arms and every replicate."""
        return 2 * self.days * self.replicates


def arm_config(params: AbParams, policy: str) -> SimConfig:
    """The simulator config of one arm: the population and world sizes of ``params``."""
    config = load_config(users=params.users, days=params.days, policy=policy)
    data = config.model_dump()
    data["world"]["videos"] = params.videos
    data["world"]["creators"] = max(10, params.videos // 16)
    return SimConfig.model_validate(data)


def _validate(params: dict[str, Any], _submitter: Submitter) -> dict[str, Any]:
    return parse_params(AbParams, params).model_dump()


def register_ab_job(runner: JobRunner, home: Path) -> None:
    """Add the ``sim.ab`` kind (admins only) to ``runner``; a second call changes nothing."""
    if KIND in runner.kinds:
        return

    def run(ctx: JobContext) -> dict[str, Any]:
        params = AbParams.model_validate(ctx.params)
        log: list[str] = []

        def progress(arm: str, summary: DaySummary) -> None:
            line = f"{arm} {summary.label}: DAU {summary.dau}, {summary.impressions} impressions"
            log.append(line)
            ctx.progress(len(log) / params.total_days, line)

        result = run_ab(
            arm_config(params, params.policy_a),
            arm_config(params, params.policy_b),
            home / "sim" / "console" / ctx.job_id,
            replicates=params.replicates,
            progress=progress,
        )
        deltas = [
            {**asdict(d), "significant": d.significant, "relative": d.relative}
            for d in result.deltas
        ]
        return {"deltas": deltas, "log": log[-LOG_LINES:]}

    runner.register(KIND, run, validate=_validate, roles=frozenset({Role.ADMIN}))
