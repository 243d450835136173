"""The team watch-time programme: ``/v1/teams/...``.

Identity: an admin key sees and manages everything. A programme person uses a key of role
``app`` scoped ``person:<user id>`` (``laotie keys create --role app --scope person:u_001``);
it sees its own records and, for teams it manages, its members' records and digests, except
members who opted out. Creator and advertiser keys, and unscoped app keys, are refused.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from laotie.api.deps import AdminKey, CurrentKey, Day, ServicesDep, person_of
from laotie.core.errors import PermissionDenied
from laotie.core.kinds import Role
from laotie.insights.schemas import (
    DigestPublic,
    DigestRun,
    MemberCreate,
    MemberPublic,
    MemberRecords,
    OrgCreate,
    OrgPublic,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from laotie.insights.team_access import ADMIN, Viewer
from laotie.store.repos.access import Principal

router = APIRouter(prefix="/v1/teams", tags=["teams"])


def viewer_of(principal: Principal) -> Viewer:
    """The programme identity of an API key (see the module docstring)."""
    if principal.role == Role.ADMIN:
        return ADMIN
    user_id = person_of(principal)
    if user_id is not None:
        return Viewer(user_id=user_id)
    raise PermissionDenied(
        "the team programme needs an admin key or a person key (role app, scope person:<user id>)",
        field="role",
    )


def _viewer(principal: CurrentKey) -> Viewer:
    return viewer_of(principal)


ViewerDep = Annotated[Viewer, Depends(_viewer)]


async def _admin_viewer(_: AdminKey) -> Viewer:
    return ADMIN


#: programme administration: the role is checked before the body is validated
AdminViewerDep = Annotated[Viewer, Depends(_admin_viewer)]
FromDay = Annotated[Day, Query(alias="from", description="first local day, YYYY-MM-DD")]
ToDay = Annotated[Day, Query(alias="to", description="last local day, YYYY-MM-DD")]


@router.post("/orgs", response_model=OrgPublic, status_code=201)
def create_org(org: OrgCreate, services: ServicesDep, viewer: AdminViewerDep) -> OrgPublic:
    """Create an organisation (admin)."""
    return services.insights.programme.create_org(org, viewer=viewer)


@router.get("/orgs", response_model=list[OrgPublic])
def list_orgs(services: ServicesDep, viewer: AdminViewerDep) -> list[OrgPublic]:
    """List organisations (admin)."""
    return services.insights.programme.list_orgs(viewer=viewer)


@router.post("", response_model=TeamPublic, status_code=201)
def create_team(team: TeamCreate, services: ServicesDep, viewer: AdminViewerDep) -> TeamPublic:
    """Create a team with a daily goal in minutes (default 60) (admin)."""
    return services.insights.programme.create_team(team, viewer=viewer)


@router.get("", response_model=list[TeamPublic])
def list_teams(services: ServicesDep, viewer: ViewerDep) -> list[TeamPublic]:
    """Teams: all for an admin, one's own for a person."""
    return services.insights.programme.list_teams(viewer=viewer)


@router.patch("/{team_id}", response_model=TeamPublic)
def update_team(
    team_id: str, update: TeamUpdate, services: ServicesDep, viewer: AdminViewerDep
) -> TeamPublic:
    """Rename a team or change its daily goal (admin)."""
    return services.insights.programme.update_team(team_id, update, viewer=viewer)


@router.post("/{team_id}/members", response_model=MemberPublic, status_code=201)
def add_member(
    team_id: str, member: MemberCreate, services: ServicesDep, viewer: AdminViewerDep
) -> MemberPublic:
    """Add a platform user as member or manager (admin)."""
    return services.insights.programme.add_member(team_id, member, viewer=viewer)


@router.get("/{team_id}/members", response_model=list[MemberPublic])
def list_members(team_id: str, services: ServicesDep, viewer: ViewerDep) -> list[MemberPublic]:
    """Memberships as the viewer may see them (managers never see opted-out members)."""
    return services.insights.programme.list_members(team_id, viewer=viewer)


@router.get("/{team_id}/members/{user_id}/records", response_model=MemberRecords)
def member_records(
    team_id: str,
    user_id: str,
    first_day: FromDay,
    last_day: ToDay,
    services: ServicesDep,
    viewer: ViewerDep,
) -> MemberRecords:
    """A member's daily minutes against the goal (the member, their managers, an admin)."""
    return services.insights.programme.records(
        team_id, user_id, first_day=first_day, last_day=last_day, viewer=viewer
    )


@router.post("/{team_id}/members/{user_id}/opt-out", response_model=MemberPublic)
def opt_out(team_id: str, user_id: str, services: ServicesDep, viewer: ViewerDep) -> MemberPublic:
    """Opt out of the programme (the member, or an admin on their behalf); recorded."""
    return services.insights.programme.set_opt_out(team_id, user_id, opted_out=True, viewer=viewer)


@router.post("/{team_id}/members/{user_id}/opt-in", response_model=MemberPublic)
def opt_in(team_id: str, user_id: str, services: ServicesDep, viewer: ViewerDep) -> MemberPublic:
    """Opt back into the programme (the member, or an admin); recorded."""
    return services.insights.programme.set_opt_out(team_id, user_id, opted_out=False, viewer=viewer)


@router.get("/{team_id}/members/{user_id}/consent")
def consent(
    team_id: str, user_id: str, services: ServicesDep, viewer: ViewerDep
) -> list[dict[str, Any]]:
    """The member's consent log (the member or an admin)."""
    return services.insights.programme.consent_history(team_id, user_id, viewer=viewer)


@router.get("/{team_id}/digests/{manager_id}", response_model=DigestPublic)
def digest(
    team_id: str,
    manager_id: str,
    services: ServicesDep,
    viewer: ViewerDep,
    day: Annotated[Day, Query(description="local day, YYYY-MM-DD")],
) -> DigestPublic:
    """A manager's digest of a team for a day, as emailed (the manager or an admin)."""
    return services.insights.programme.digests.digest(team_id, manager_id, day=day, viewer=viewer)


@router.post("/digests/send", response_model=DigestRun)
def send_digests(
    services: ServicesDep,
    viewer: AdminViewerDep,
    day: Annotated[Day | None, Query(description="local day; default yesterday")] = None,
) -> DigestRun:
    """Build and email every manager's digest for a day now (admin)."""
    if not viewer.admin:
        raise PermissionDenied("only an admin may send digests", field="role")
    return services.insights.programme.digests.send_digests(day=day)


@router.get("/me/records", response_model=list[MemberRecords])
def my_records(
    first_day: FromDay, last_day: ToDay, services: ServicesDep, viewer: ViewerDep
) -> list[MemberRecords]:
    """The caller's own records in every team they are a member of (person keys)."""
    return services.insights.programme.my_records(
        first_day=first_day, last_day=last_day, viewer=viewer
    )
