"""Experiments: start a simulator A/B, watch it run, read the deltas with their intervals.

Each experiment is a ``sim.ab`` job submitted through the studio jobs API as the signed-in
admin, so it runs on any worker and shows the same in every serving process."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from laotie.api.routes import studio as studio_api
from laotie.sim.ab_job import KIND
from laotie.web.console import ConsoleRoute, VisitDep
from laotie.web.experiments import POLICIES, experiment_of
from laotie.web.invoke import call_api
from laotie.web.pages.ops import operations_rule

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
#: experiments listed on the page (newest first)
SHOWN = 20


@router.get("/experiments")
async def experiments_page(visit: VisitDep) -> Response:
    """Past and running experiments and the form that starts one."""
    await visit.require(operations_rule)
    jobs = await call_api(
        studio_api.list_jobs, visit.request, visit.principal, kind=KIND, limit=SHOWN
    )
    return await visit.render(
        "experiments.html", experiments=[experiment_of(j) for j in jobs], policies=POLICIES
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
    params = {
        "policy_a": policy_a,
        "policy_b": policy_b,
        "users": users,
        "days": days,
        "replicates": replicates,
        "videos": videos,
    }
    body = studio_api.JobCreate(kind=KIND, params=params)
    job = await call_api(studio_api.submit_job, visit.request, visit.principal, body=body)
    return RedirectResponse(f"/experiments/{job.id}", status_code=303)


@router.get("/experiments/{experiment_id}")
async def experiment_page(visit: VisitDep, experiment_id: str) -> Response:
    """One experiment; while it runs, the status part refreshes itself every second (HTMX)."""
    await visit.require(operations_rule)
    job = await call_api(studio_api.get_job, visit.request, visit.principal, job_id=experiment_id)
    partial = visit.request.headers.get("hx-request") == "true"
    return await visit.render(
        "experiment_status.html" if partial else "experiment.html", e=experiment_of(job)
    )
