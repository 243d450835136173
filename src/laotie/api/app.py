"""The FastAPI application: routers, problem documents, OpenAPI at /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI

from laotie import __version__
from laotie.api import openapi, problems
from laotie.api.guard import BodyGuard, Guard
from laotie.api.routes import (
    ads,
    catalog,
    commerce,
    events,
    feed,
    health,
    insights,
    similar,
    studio,
    studio_media,
    teams,
    trust,
)
from laotie.sim.ab_job import register_ab_job
from laotie.wiring import Services

ROUTERS = [
    feed.router,
    similar.router,
    health.router,
    catalog.router,
    events.router,
    trust.router,
    ads.router,
    insights.router,
    insights.items_router,
    teams.router,
    studio.router,
    studio_media.router,
    commerce.router,
]


def create_app(services: Services) -> FastAPI:
    """Build the API on ``services``."""
    app = FastAPI(
        title="laotie",
        version=__version__,
        description="Self-hostable engine for an AI-era short-form content platform.",
        openapi_url="/openapi.json",
        docs_url=None,  # served offline by laotie.web
        redoc_url=None,
    )
    app.state.services = services
    register_ab_job(services.studio_jobs, services.settings.home)  # console experiments
    app.state.guard = Guard(services)
    app.add_middleware(BodyGuard, guard=app.state.guard)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, max_batch=services.settings.max_batch_events)
    problems.document(app)  # wraps the document above with every operation's problem answers
    from laotie.web import mount  # the console sits above the API (imports its routes)

    mount(app)
    return app
