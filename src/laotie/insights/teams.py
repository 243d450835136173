"""The team watch-time programme: organisations, teams, members and managers, and each
member's daily minutes from their watch events; managers' digests are ``programme.digests``
(``insights.team_digests``).

Privacy rules (``insights.team_access``), enforced here (not in the API) so every interface
gets them:
an admin sees everything; a person (a platform user, see ``Viewer``) sees their own records
and, as a manager, the records of their own teams' members who have not opted out; nobody
else sees anything. An opted-out member appears in no digest, no manager listing and no
manager query, and the opt-out (and any opt-in) is kept in a consent log.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from laotie.core.clock import Clock
from laotie.core.errors import NotFound, PermissionDenied
from laotie.insights.days import day_range_ms, with_local_day
from laotie.insights.digest import (
    SmtpConfig,
)
from laotie.insights.schemas import (
    DailyRecord,
    MemberCreate,
    MemberPublic,
    MemberRecords,
    OrgCreate,
    OrgPublic,
    TeamCreate,
    TeamPublic,
    TeamUpdate,
)
from laotie.insights.team_access import (
    Viewer,
    check_days,
    external_user_ids,
    hidden_from,
    is_manager,
    membership,
    person_row,
    require_admin,
)
from laotie.insights.team_digests import TeamDigests
from laotie.store.db import Database
from laotie.store.lake import Lake
from laotie.store.repos import catalog
from laotie.store.repos import insights as repo
from laotie.store.tables import ProgrammeMember, ProgrammeTeam


class TeamProgramme:
    """The programme's service: every read and write, with the privacy rules applied."""

    def __init__(
        self,
        db: Database,
        lake: Lake,
        clock: Clock,
        *,
        tz: str,
        smtp: SmtpConfig | None = None,
    ) -> None:
        self.db = db
        self.lake = lake
        self.clock = clock
        self.tz = tz
        self.digests = TeamDigests(db, clock, tz=tz, smtp=smtp, daily_minutes=self.daily_minutes)

    # --- organisations and teams ------------------------------------------------------------

    def create_org(self, org: OrgCreate, *, viewer: Viewer) -> OrgPublic:
        """Create an organisation (admin only)."""
        require_admin(viewer)
        with self.db.session() as session:
            row = repo.create_org(
                session, external_id=org.id, name=org.name, now_ms=self.clock.now_ms()
            )
            return OrgPublic(id=row.external_id, name=row.name, created_at_ms=row.created_at_ms)

    def list_orgs(self, *, viewer: Viewer) -> list[OrgPublic]:
        """Every organisation (admin only)."""
        require_admin(viewer)
        with self.db.session() as session:
            return [
                OrgPublic(id=r.external_id, name=r.name, created_at_ms=r.created_at_ms)
                for r in repo.list_orgs(session)
            ]

    def create_team(self, team: TeamCreate, *, viewer: Viewer) -> TeamPublic:
        """Create a team in an organisation (admin only)."""
        require_admin(viewer)
        with self.db.session() as session:
            org = repo.get_org(session, external_id=team.org_id)
            row = repo.create_team(
                session,
                external_id=team.id,
                org_id=org.id,
                name=team.name,
                daily_goal_minutes=team.daily_goal_minutes,
                now_ms=self.clock.now_ms(),
            )
            return _team_public(row, org.external_id)

    def update_team(self, team_id: str, update: TeamUpdate, *, viewer: Viewer) -> TeamPublic:
        """Rename a team or change its daily goal (admin only)."""
        require_admin(viewer)
        with self.db.session() as session:
            row = repo.get_team(session, external_id=team_id)
            for key, value in update.model_dump(exclude_none=True).items():
                setattr(row, key, value)
            return _team_public(row, repo.org_external_id(session, org_id=row.org_id))

    def list_teams(self, *, viewer: Viewer) -> list[TeamPublic]:
        """Admins: every team; a person: the teams they belong to or manage."""
        with self.db.session() as session:
            if viewer.admin:
                rows = repo.list_teams(session)
            else:
                user = person_row(session, viewer)
                ids = {m.team_id for m in repo.memberships_of(session, user_id=user)}
                rows = repo.list_teams(session, team_ids=ids)
            return [_team_public(r, repo.org_external_id(session, org_id=r.org_id)) for r in rows]

    # --- members --------------------------------------------------------------------------

    def add_member(self, team_id: str, member: MemberCreate, *, viewer: Viewer) -> MemberPublic:
        """Add a platform user to a team as member or manager (admin only)."""
        require_admin(viewer)
        with self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            user = catalog.ensure_users(session, external_ids=[member.user_id])[member.user_id]
            row = repo.add_member(
                session,
                team_id=team.id,
                user_id=user,
                role=member.role,
                email=member.email,
                display_name=member.display_name,
                now_ms=self.clock.now_ms(),
            )
            return _member_public(row, team_id, member.user_id)

    def list_members(self, team_id: str, *, viewer: Viewer) -> list[MemberPublic]:
        """Admins: every membership; the team's managers: members who have not opted out and
        the managers; a member: only their own memberships."""
        with hidden_from(viewer, team_id), self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            rows = repo.list_members(session, team_id=team.id)
            names = external_user_ids(session, [r.user_id for r in rows])
            if not viewer.admin:
                user = person_row(session, viewer)
                if is_manager(rows, user):
                    rows = [r for r in rows if r.role == "manager" or r.opted_out_at_ms is None]
                elif any(r.user_id == user for r in rows):
                    rows = [r for r in rows if r.user_id == user]
                else:
                    raise NotFound(f"you are not in team {team_id!r}", field="team_id")
            shown = [_member_public(r, team_id, names[r.user_id]) for r in rows]
            if viewer.admin:
                return shown
            return [
                m if m.user_id == viewer.user_id else m.model_copy(update={"email": ""})
                for m in shown
            ]

    def set_opt_out(
        self, team_id: str, user_id: str, *, opted_out: bool, viewer: Viewer
    ) -> MemberPublic:
        """Opt a member out of (or back into) the programme: the member themselves or an admin;
        recorded in the consent log."""
        if not viewer.admin and viewer.user_id != user_id:
            raise PermissionDenied("only the member (or an admin) may change their consent")
        with self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            member = membership(session, team, user_id, role="member")
            repo.set_opted_out(
                session,
                member=member,
                opted_out=opted_out,
                recorded_by=viewer.label,
                now_ms=self.clock.now_ms(),
            )
            return _member_public(member, team_id, user_id)

    def consent_history(self, team_id: str, user_id: str, *, viewer: Viewer) -> list[dict]:
        """The consent log of a membership (the member themselves or an admin)."""
        if not viewer.admin and viewer.user_id != user_id:
            raise PermissionDenied("only the member (or an admin) may read their consent log")
        with self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            member = membership(session, team, user_id, role="member")
            return [
                {"action": c.action, "recorded_by": c.recorded_by, "at_ms": c.at_ms}
                for c in repo.consent_log(session, member_id=member.id)
            ]

    # --- records --------------------------------------------------------------------------

    def records(
        self,
        team_id: str,
        user_id: str,
        *,
        first_day: date,
        last_day: date,
        viewer: Viewer,
    ) -> MemberRecords:
        """A member's daily minutes against the team goal, for the member themselves, an
        admin, or a manager of the team while the member has not opted out."""
        check_days(first_day, last_day)
        with hidden_from(viewer, team_id), self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            member = membership(session, team, user_id, role="member")
            if not viewer.admin and viewer.user_id != user_id:
                viewer_user = person_row(session, viewer)
                if not is_manager(repo.list_members(session, team_id=team.id), viewer_user):
                    raise PermissionDenied(
                        f"only {user_id!r}, their team's managers or an admin may read this",
                        field="user_id",
                    )
                if member.opted_out_at_ms is not None:
                    raise PermissionDenied(
                        f"{user_id!r} opted out of the programme; their records are private",
                        field="user_id",
                    )
            goal, internal, opted_out = (
                team.daily_goal_minutes,
                member.user_id,
                member.opted_out_at_ms,
            )
        minutes = self.daily_minutes([internal], first_day=first_day, last_day=last_day)
        return MemberRecords(
            team_id=team_id,
            user_id=user_id,
            opted_out=opted_out is not None,
            records=_daily_records(minutes.get(internal, {}), first_day, last_day, goal),
        )

    def my_records(self, *, first_day: date, last_day: date, viewer: Viewer) -> list[MemberRecords]:
        """A person's own records in every team they are a member of."""
        if viewer.user_id is None:
            raise PermissionDenied("only a programme person has own records", field="scope")
        with self.db.session() as session:
            user = person_row(session, viewer)
            teams = [
                repo.list_teams(session, team_ids=[m.team_id])[0].external_id
                for m in repo.memberships_of(session, user_id=user)
                if m.role == "member"
            ]
        return [
            self.records(
                team, viewer.user_id, first_day=first_day, last_day=last_day, viewer=viewer
            )
            for team in teams
        ]

    def daily_minutes(
        self, user_ids: list[int], *, first_day: date, last_day: date
    ) -> dict[int, dict[date, float]]:
        """Minutes watched per internal user id and local day: the sum of the watch_ms of
        their watch events (on any device) in the day, over 60,000."""
        start_ms, end_ms = day_range_ms(first_day, last_day, tz=self.tz)
        events = self.lake.read(start_ms=start_ms, end_ms=end_ms, types=["watch"])
        frame = (
            with_local_day(
                events.lazy()
                .filter(pl.col("user_id").is_in(user_ids))
                .select("user_id", "ts_ms", "watch_ms"),
                tz=self.tz,
            )
            .group_by("user_id", "day")
            .agg((pl.col("watch_ms").sum() / 60_000).alias("minutes"))
            .collect()
        )
        result: dict[int, dict[date, float]] = {}
        for user, day, minutes in frame.iter_rows():
            result.setdefault(user, {})[day] = float(minutes)
        return result


def _daily_records(
    minutes: dict[date, float], first_day: date, last_day: date, goal: int
) -> list[DailyRecord]:
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return [
        DailyRecord(
            day=d.isoformat(),
            minutes=round(minutes.get(d, 0.0), 2),
            goal_minutes=goal,
            goal_met=minutes.get(d, 0.0) >= goal,
        )
        for d in days
    ]


def _team_public(row: ProgrammeTeam, org_external_id: str) -> TeamPublic:
    return TeamPublic(
        id=row.external_id,
        org_id=org_external_id,
        name=row.name,
        daily_goal_minutes=row.daily_goal_minutes,
        created_at_ms=row.created_at_ms,
    )


def _member_public(row: ProgrammeMember, team_id: str, user_id: str) -> MemberPublic:
    return MemberPublic(
        team_id=team_id,
        user_id=user_id,
        role=row.role,
        display_name=row.display_name,
        email=row.email,
        opted_out=row.opted_out_at_ms is not None,
        created_at_ms=row.created_at_ms,
    )
