"""Experiments: start a simulator A/B, watch it run, read the deltas with their intervals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from laotie.web.console import ConsoleRoute, Visit, VisitDep
from laotie.web.experiments import POLICIES, ExperimentRunner, runner_of
from laotie.web.pages.ops import operations_rule

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


def _runner(visit: Visit) -> ExperimentRunner:
    app = visit.request.app
    return runner_of(app.state, app.state.services.settings.home)


@router.get("/experiments")
async def experiments_page(visit: VisitDep) -> Response:
    """Past and running experiments and the form that starts one."""
    await visit.require(operations_rule)
    return await visit.render(
        "experiments.html", experiments=_runner(visit).list(), policies=POLICIES
    )


@router.post("/experiments")
async def start_experiment(
    visit: VisitDep,
    policy_a: Annotated[str, Form()],
    policy_b: Annotated[str, Form()],
    users: Annotated[int, Form()] = 200,
    days: Annotated[int, Form()] = 3,
    replicates: Annotated[int, Form()] = 3,
    videos: Annotated[int, Form()] = 1000,
) -> Response:
    """Queue an A/B and open its page."""
    await visit.require(operations_rule)
    experiment = await run_in_threadpool(
        lambda: _runner(visit).start(
            policy_a=policy_a,
            policy_b=policy_b,
            users=users,
            days=days,
            replicates=replicates,
            videos=videos,
        )
    )
    return RedirectResponse(f"/experiments/{experiment.id}", status_code=303)


@router.get("/experiments/{experiment_id}")
async def experiment_page(visit: VisitDep, experiment_id: str) -> Response:
    """One experiment; while it runs, the status part refreshes itself every second (HTMX)."""
    await visit.require(operations_rule)
    experiment = _runner(visit).get(experiment_id)
    partial = visit.request.headers.get("hx-request") == "true"
    return await visit.render(
        "experiment_status.html" if partial else "experiment.html", e=experiment
    )
