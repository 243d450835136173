"""``laotie teams``: the team watch-time programme (run as an admin on the server)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.core.errors import InvalidInput
from laotie.insights.schemas import MemberCreate, OrgCreate, TeamCreate, TeamUpdate
from laotie.insights.team_access import ADMIN

app = typer.Typer(
    help="Team watch-time programme: organisations, teams, members, managers, digests."
)
Json = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _day(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"--{field} must be a date YYYY-MM-DD, not {value!r}", field=field
        ) from exc


@app.command("org-create")
def org_create(
    org_id: Annotated[str, typer.Argument(help="organisation id")],
    name: Annotated[str, typer.Option(help="display name")],
    as_json: Json = False,
) -> None:
    """Create an organisation. Example: laotie teams org-create o1 --name 快手产品部"""
    org = services().insights.programme.create_org(OrgCreate(id=org_id, name=name), viewer=ADMIN)
    emit_json(org.model_dump()) if as_json else console.print(f"created organisation {org.id}")


@app.command("create")
def create(
    team_id: Annotated[str, typer.Argument(help="team id")],
    org: Annotated[str, typer.Option(help="organisation id")],
    name: Annotated[str, typer.Option(help="display name")],
    goal_minutes: Annotated[int, typer.Option(help="daily watch goal in minutes")] = 60,
    as_json: Json = False,
) -> None:
    """Create a team with a daily goal. Example: laotie teams create t1 --org o1 --name 推荐组"""
    team = services().insights.programme.create_team(
        TeamCreate(id=team_id, org_id=org, name=name, daily_goal_minutes=goal_minutes),
        viewer=ADMIN,
    )
    emit_json(team.model_dump()) if as_json else console.print(
        f"created team {team.id} (goal {team.daily_goal_minutes} min/day)"
    )


@app.command("set-goal")
def set_goal(
    team_id: Annotated[str, typer.Argument(help="team id")],
    minutes: Annotated[int, typer.Argument(help="daily watch goal in minutes")],
) -> None:
    """Change a team's daily goal. Example: laotie teams set-goal t1 45"""
    team = services().insights.programme.update_team(
        team_id, TeamUpdate(daily_goal_minutes=minutes), viewer=ADMIN
    )
    console.print(f"team {team.id}: goal {team.daily_goal_minutes} min/day")


@app.command("add")
def add(
    team_id: Annotated[str, typer.Argument(help="team id")],
    user_id: Annotated[str, typer.Argument(help="the person's platform user id")],
    role: Annotated[str, typer.Option(help="member | manager")] = "member",
    email: Annotated[str, typer.Option(help="email address (managers receive digests)")] = "",
    name: Annotated[str, typer.Option(help="display name")] = "",
) -> None:
    """Add a member or manager.

    Example: laotie teams add t1 u_mia --role manager --email mia@example.com
    """
    member = services().insights.programme.add_member(
        team_id,
        MemberCreate(user_id=user_id, role=role, email=email, display_name=name),  # type: ignore[arg-type]
        viewer=ADMIN,
    )
    console.print(f"added {member.user_id} to {team_id} as {member.role}")
    console.print(f"their API key: laotie keys create --role app --scope person:{member.user_id}")


@app.command("list")
def list_(as_json: Json = False) -> None:
    """List teams. Example: laotie teams list"""
    teams = services().insights.programme.list_teams(viewer=ADMIN)
    if as_json:
        emit_json([t.model_dump() for t in teams])
        return
    view = Table("team", "organisation", "name", "goal (min/day)")
    for t in teams:
        view.add_row(t.id, t.org_id, t.name, str(t.daily_goal_minutes))
    console.print(view)


@app.command("members")
def members(team_id: Annotated[str, typer.Argument(help="team id")], as_json: Json = False) -> None:
    """List a team's members and managers. Example: laotie teams members t1"""
    rows = services().insights.programme.list_members(team_id, viewer=ADMIN)
    if as_json:
        emit_json([m.model_dump() for m in rows])
        return
    view = Table("user", "role", "name", "email", "opted out")
    for m in rows:
        view.add_row(m.user_id, m.role, m.display_name, m.email, "yes" if m.opted_out else "")
    console.print(view)


@app.command("records")
def records(
    team_id: Annotated[str, typer.Argument(help="team id")],
    user_id: Annotated[str, typer.Argument(help="member's user id")],
    first: Annotated[str, typer.Option("--from", help="first local day YYYY-MM-DD")],
    last: Annotated[str, typer.Option("--to", help="last local day YYYY-MM-DD")],
    as_json: Json = False,
) -> None:
    """A member's daily minutes.

    Example: laotie teams records t1 u_ann --from 2026-03-01 --to 2026-03-07
    """
    result = services().insights.programme.records(
        team_id, user_id, first_day=_day(first, "from"), last_day=_day(last, "to"), viewer=ADMIN
    )
    if as_json:
        emit_json(result.model_dump())
        return
    view = Table("day", "minutes", "goal", "met")
    for r in result.records:
        view.add_row(r.day, f"{r.minutes:.1f}", str(r.goal_minutes), "✔" if r.goal_met else "")
    console.print(view)


@app.command("opt-out")
def opt_out(
    team_id: Annotated[str, typer.Argument(help="team id")],
    user_id: Annotated[str, typer.Argument(help="member's user id")],
    undo: Annotated[bool, typer.Option("--undo", help="opt back in")] = False,
) -> None:
    """Record a member's opt-out (or, with --undo, opt-in).

    Example: laotie teams opt-out t1 u_cat
    """
    member = services().insights.programme.set_opt_out(
        team_id, user_id, opted_out=not undo, viewer=ADMIN
    )
    console.print(
        f"{member.user_id} in {team_id}: {'opted out' if member.opted_out else 'opted in'}"
    )


@app.command("digest")
def digest(
    team_id: Annotated[str, typer.Argument(help="team id")],
    manager_id: Annotated[str, typer.Argument(help="manager's user id")],
    day: Annotated[str, typer.Option(help="local day YYYY-MM-DD")],
    as_json: Json = False,
) -> None:
    """Show a manager's digest for a day. Example: laotie teams digest t1 u_mia --day 2026-03-02"""
    result = services().insights.programme.digests.digest(
        team_id, manager_id, day=_day(day, "day"), viewer=ADMIN
    )
    if as_json:
        emit_json(result.model_dump())
        return
    view = Table(title=f"{result.team_name} {result.day} (goal {result.goal_minutes} min)")
    for column in ("member", "minutes", "met", "days met (7)"):
        view.add_column(column)
    for r in result.members:
        view.add_row(
            r.display_name or r.user_id,
            f"{r.minutes:.1f}",
            "✔" if r.goal_met else "",
            str(r.days_met_last_7),
        )
    console.print(view)


@app.command("send-digests")
def send_digests(
    day: Annotated[str | None, typer.Option(help="local day YYYY-MM-DD; default yesterday")] = None,
) -> None:
    """Email every manager's digest now. Example: laotie teams send-digests --day 2026-03-02"""
    run = services().insights.programme.digests.send_digests(day=_day(day, "day") if day else None)
    console.print(
        f"{run.day}: sent {run.sent}, skipped {run.skipped}, failed {run.failed}, "
        f"already sent {run.already_sent}"
    )
    for error in run.errors:
        console.print(f"[red]{error}[/]")
