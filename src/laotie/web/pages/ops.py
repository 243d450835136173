"""Models & operations: the feed model versions (which one serves), what each was trained
on, and the worker's periodic jobs with their last runs. Admins only, by the API's AdminKey."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from laotie.api.deps import AdminKey
from laotie.store.repos import insights as insights_repo
from laotie.web.console import ConsoleRoute, VisitDep

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)


def operations_rule(_: AdminKey) -> None:
    """The page's rule: the API's admin-key dependency (no API endpoint lists these yet)."""


def _versions(models_dir: Path) -> list[dict[str, Any]]:
    """Each saved feed model version, newest first, with its training window and counts."""
    found = []
    if models_dir.is_dir():
        for manifest_path in models_dir.glob("*/manifest.json"):
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                manifest = {"version": manifest_path.parent.name, "unreadable": True}
            manifest["saved_at_ms"] = manifest_path.stat().st_mtime_ns // 1_000_000
            found.append(manifest)
    return sorted(found, key=lambda m: m["saved_at_ms"], reverse=True)


@router.get("/ops")
async def operations(visit: VisitDep) -> Response:
    """Model versions and the worker schedule."""
    await visit.require(operations_rule)
    services = visit.request.app.state.services

    def read() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with services.db.session() as session:
            jobs = [
                {
                    "name": j.name,
                    "status": j.last_status,
                    "started_ms": j.last_started_ms,
                    "finished_ms": j.last_finished_ms,
                    "runs": j.runs,
                    "error": j.last_error,
                }
                for j in insights_repo.list_job_states(session)
            ]
        return _versions(services.feed.models_dir), jobs

    versions, jobs = await run_in_threadpool(read)
    return await visit.render(
        "ops.html", versions=versions, current=services.feed.served.version, jobs=jobs
    )
