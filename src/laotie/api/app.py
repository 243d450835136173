"""The FastAPI application: routers, problem documents, OpenAPI at /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI

from laotie import __version__
from laotie.api import problems
from laotie.api.routes import (
    ads,
    catalog,
    commerce,
    events,
    feed,
    health,
    insights,
    studio,
    studio_media,
    teams,
    trust,
)
from laotie.wiring import Services

ROUTERS = [
    feed.router,
    health.router,
    catalog.router,
    events.router,
    trust.router,
    ads.router,
    insights.router,
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
    )
    app.state.services = services
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
