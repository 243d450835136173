"""Teams: the watch-time programme for a member (their own minutes) and a manager or admin
(their teams' members), through the programme's API endpoints and their viewer rules."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import Response

from laotie.api.deps import person_of
from laotie.api.routes import teams as teams_api
from laotie.core.kinds import Role
from laotie.web.console import ConsoleRoute, VisitDep
from laotie.web.invoke import call_api

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
#: days of records shown
RECORD_DAYS = 7


@router.get("/teams")
async def teams_page(visit: VisitDep) -> Response:
    """Teams the visitor may see with their members, and the visitor's own daily minutes."""
    args = (visit.request, visit.principal)
    teams = await call_api(teams_api.list_teams, *args)
    members = {
        team.id: await call_api(teams_api.list_members, *args, team_id=team.id) for team in teams
    }
    services = visit.request.app.state.services
    last_day = services.insights.today() - timedelta(days=1)
    first_day = last_day - timedelta(days=RECORD_DAYS - 1)
    digests = []
    for team in teams:
        for member in members[team.id]:
            if member.role == "manager" and _sees_digest(visit, member.user_id):
                digests.append(
                    await call_api(
                        teams_api.digest,
                        *args,
                        team_id=team.id,
                        manager_id=member.user_id,
                        day=last_day,
                    )
                )
    mine = []
    if visit.principal.role != Role.ADMIN:
        mine = await call_api(teams_api.my_records, *args, first_day=first_day, last_day=last_day)
    return await visit.render(
        "teams.html", teams=teams, members=members, mine=mine, digests=digests
    )


def _sees_digest(visit: VisitDep, manager_id: str) -> bool:
    """A manager reads their own digests; an admin reads every manager's."""
    own = person_of(visit.principal) == manager_id
    return visit.principal.role == Role.ADMIN or own
