"""The console's pages: one module per area, and the navigation with each page's API rule."""

from __future__ import annotations

from fastapi import APIRouter

from laotie.api.routes import ads as ads_api
from laotie.api.routes import catalog as catalog_api
from laotie.api.routes import feed as feed_api
from laotie.api.routes import insights as insights_api
from laotie.api.routes import studio as studio_api
from laotie.api.routes import teams as teams_api
from laotie.api.routes import trust as trust_api
from laotie.web.console import Page
from laotie.web.pages import (
    ads,
    auth,
    catalog,
    experiments,
    feed,
    ops,
    overview,
    studio,
    teams,
    trust,
)

#: navigation order; a page shows for a visitor whom its endpoint's role rule admits
PAGES = (
    Page("/", "overview", insights_api.kpis),
    Page("/feed", "feed", feed_api.get_feed),
    Page("/catalog", "catalog", catalog_api.list_items),
    Page("/trust", "trust", trust_api.queue),
    Page("/ads", "ads", ads_api.list_campaigns),
    Page("/studio", "studio", studio_api.list_jobs),
    Page("/teams", "teams", teams_api.list_teams),
    Page("/experiments", "experiments", ops.operations_rule),
    Page("/ops", "ops", ops.operations_rule),
)


def console_router() -> APIRouter:
    """Every console page, hidden from the OpenAPI document (it is HTML, not the API)."""
    router = APIRouter(include_in_schema=False)
    for module in (auth, overview, feed, catalog, trust, ads, studio, teams, experiments, ops):
        router.include_router(module.router)
    return router
