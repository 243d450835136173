"""The team watch-time programme: organisations, teams, members and managers, each member's
daily minutes from their watch events, and a daily digest per manager.

Privacy rules, enforced here (not in the API) so every interface gets them:
an admin sees everything; a person (a platform user, see ``Viewer``) sees their own records
and, as a manager, the records of their own teams' members who have not opted out; nobody
else sees anything. An opted-out member appears in no digest, no manager listing and no
manager query, and the opt-out (and any opt-in) is kept in a consent log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl
from sqlalchemy.orm import Session

from laotie.core.clock import Clock
from laotie.core.errors import InvalidInput, LaotieError, NotFound, PermissionDenied
from laotie.insights.digest import (
    SmtpConfig,
    digest_text,
    render_digest_html,
    send_html_email,
)
from laotie.insights.kpis import day_of_ms, day_range_ms, with_local_day
from laotie.insights.schemas import (
    DailyRecord,
    DigestPublic,
    DigestRow,
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
from laotie.store.db import Database
from laotie.store.lake import Lake
from laotie.store.repos import catalog
from laotie.store.repos import insights as repo
from laotie.store.tables import ProgrammeDigest, ProgrammeMember, ProgrammeTeam

#: the longest range of daily records one query may ask for
MAX_RECORD_DAYS = 366


@dataclass(frozen=True)
class Viewer:
    """Who asks: an admin, or a person identified by their platform user id (external)."""

    admin: bool = False
    user_id: str | None = None

    @property
    def label(self) -> str:
        """How the consent log names this viewer."""
        return "admin" if self.admin else f"person:{self.user_id}"


ADMIN = Viewer(admin=True)


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
        self.smtp = smtp

    # --- organisations and teams ------------------------------------------------------------

    def create_org(self, org: OrgCreate, *, viewer: Viewer) -> OrgPublic:
        """Create an organisation (admin only)."""
        _require_admin(viewer)
        with self.db.session() as session:
            row = repo.create_org(
                session, external_id=org.id, name=org.name, now_ms=self.clock.now_ms()
            )
            return OrgPublic(id=row.external_id, name=row.name, created_at_ms=row.created_at_ms)

    def list_orgs(self, *, viewer: Viewer) -> list[OrgPublic]:
        """Every organisation (admin only)."""
        _require_admin(viewer)
        with self.db.session() as session:
            return [
                OrgPublic(id=r.external_id, name=r.name, created_at_ms=r.created_at_ms)
                for r in repo.list_orgs(session)
            ]

    def create_team(self, team: TeamCreate, *, viewer: Viewer) -> TeamPublic:
        """Create a team in an organisation (admin only)."""
        _require_admin(viewer)
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
        _require_admin(viewer)
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
                user = _person(session, viewer)
                ids = {m.team_id for m in repo.memberships_of(session, user_id=user)}
                rows = repo.list_teams(session, team_ids=ids)
            return [_team_public(r, repo.org_external_id(session, org_id=r.org_id)) for r in rows]

    # --- members --------------------------------------------------------------------------

    def add_member(self, team_id: str, member: MemberCreate, *, viewer: Viewer) -> MemberPublic:
        """Add a platform user to a team as member or manager (admin only)."""
        _require_admin(viewer)
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
        with _hidden_from(viewer, team_id), self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            rows = repo.list_members(session, team_id=team.id)
            names = _external_user_ids(session, [r.user_id for r in rows])
            if not viewer.admin:
                user = _person(session, viewer)
                if _is_manager(rows, user):
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
            member = _membership(session, team, user_id, role="member")
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
            member = _membership(session, team, user_id, role="member")
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
        _check_days(first_day, last_day)
        with _hidden_from(viewer, team_id), self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            member = _membership(session, team, user_id, role="member")
            if not viewer.admin and viewer.user_id != user_id:
                viewer_user = _person(session, viewer)
                if not _is_manager(repo.list_members(session, team_id=team.id), viewer_user):
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
            user = _person(session, viewer)
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

    # --- digests --------------------------------------------------------------------------

    def digest(
        self, team_id: str, manager_user_id: str, *, day: date, viewer: Viewer
    ) -> DigestPublic:
        """Build (and store) a manager's digest of a team for a local day: the manager
        themselves or an admin. Opted-out members are left out entirely."""
        if not viewer.admin and viewer.user_id != manager_user_id:
            raise PermissionDenied("a digest is only for its manager (or an admin)")
        with self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            manager = _membership(session, team, manager_user_id, role="manager")
            existing = repo.get_digest(session, manager_member_id=manager.id, day=day.isoformat())
            if existing is not None and existing.status == "sent":
                return self._sent(session, team, manager_user_id, existing)
            return self._build(session, team, manager, manager_user_id, day)[0]

    def _sent(
        self, session: Session, team: ProgrammeTeam, manager_user_id: str, stored: ProgrammeDigest
    ) -> DigestPublic:
        """A digest already emailed is shown as sent, rebuilt from the same data."""
        manager = session.get(ProgrammeMember, stored.manager_member_id)
        assert manager is not None
        digest, _ = self._build(
            session, team, manager, manager_user_id, date.fromisoformat(stored.day)
        )
        return digest.model_copy(update={"html": stored.html, "status": stored.status})

    def _build(
        self,
        session: Session,
        team: ProgrammeTeam,
        manager: ProgrammeMember,
        manager_user_id: str,
        day: date,
    ) -> tuple[DigestPublic, int]:
        members = [
            m
            for m in repo.list_members(session, team_id=team.id, role="member")
            if m.opted_out_at_ms is None
        ]
        names = _external_user_ids(session, [m.user_id for m in members])
        week_start = day - timedelta(days=6)
        minutes = self.daily_minutes(
            [m.user_id for m in members], first_day=week_start, last_day=day
        )
        goal = team.daily_goal_minutes
        rows = []
        for m in members:
            days = minutes.get(m.user_id, {})
            today = days.get(day, 0.0)
            rows.append(
                DigestRow(
                    user_id=names[m.user_id],
                    display_name=m.display_name,
                    minutes=round(today, 2),
                    goal_met=today >= goal,
                    days_met_last_7=sum(v >= goal for v in days.values()),
                    mean_minutes_last_7=round(sum(days.values()) / 7, 2),
                )
            )
        html = render_digest_html(
            team_name=team.name, day=day.isoformat(), goal_minutes=goal, rows=rows
        )
        stored = repo.save_digest(
            session,
            team_id=team.id,
            manager_member_id=manager.id,
            day=day.isoformat(),
            recipient=manager.email,
            html=html,
            now_ms=self.clock.now_ms(),
        )
        digest = DigestPublic(
            team_id=team.external_id,
            team_name=team.name,
            manager_user_id=manager_user_id,
            day=day.isoformat(),
            goal_minutes=goal,
            members=rows,
            members_met=sum(r.goal_met for r in rows),
            status=stored.status,
            html=html,
        )
        return digest, stored.id

    def send_digests(self, *, day: date | None = None) -> DigestRun:
        """Build and email every manager's digest for ``day`` (default: yesterday, local).
        A digest already sent is not sent again; with no SMTP server they are only stored;
        a digest with no member left to report (all opted out) is not sent."""
        day = day or day_of_ms(self.clock.now_ms(), tz=self.tz) - timedelta(days=1)
        run = DigestRun(day=day.isoformat())
        with self.db.session() as session:
            teams = repo.list_teams(session)
        for team in teams:
            with self.db.session() as session:
                managers = repo.list_members(session, team_id=team.id, role="manager")
                names = _external_user_ids(session, [m.user_id for m in managers])
            for manager in managers:
                self._deliver(team, manager, names[manager.user_id], day, run)
        return run

    def _deliver(
        self, team: ProgrammeTeam, manager: ProgrammeMember, name: str, day: date, run: DigestRun
    ) -> None:
        with self.db.session() as session:
            existing = repo.get_digest(session, manager_member_id=manager.id, day=day.isoformat())
            if existing is not None and existing.status == "sent":
                run.already_sent += 1
                return
            digest, digest_id = self._build(session, team, manager, name, day)
        reason = None
        if not digest.members:
            reason = "no members to report"
        elif not manager.email:
            reason = "manager has no email address"
        elif self.smtp is None or not self.smtp.host:
            reason = "SMTP is not configured (LAOTIE_SMTP_HOST)"
        status, error = "skipped", reason
        if reason is None and self.smtp is not None:
            try:
                send_html_email(
                    self.smtp,
                    to=manager.email,
                    subject=f"观看目标日报 Watch-time digest · {team.name} · {digest.day}",
                    html=digest.html,
                    text=digest_text(
                        team_name=team.name,
                        day=digest.day,
                        goal_minutes=digest.goal_minutes,
                        rows=digest.members,
                    ),
                )
                status, error = "sent", None
            except LaotieError as exc:
                status, error = "failed", exc.message
                run.errors.append(f"{team.external_id}/{name}: {exc.message}")
        with self.db.session() as session:
            repo.mark_digest(
                session, digest_id=digest_id, status=status, now_ms=self.clock.now_ms(), error=error
            )
        if status == "sent":
            run.sent += 1
        elif status == "failed":
            run.failed += 1
        else:
            run.skipped += 1


def _require_admin(viewer: Viewer) -> None:
    if not viewer.admin:
        raise PermissionDenied("only an admin may do this", field="role")


@contextmanager
def _hidden_from(viewer: Viewer, team_id: str) -> Iterator[None]:
    """For a person, whatever they may not see in a team answers as one NotFound: whether a
    team exists, who is in it and who opted out are not revealed by 404-vs-403."""
    if viewer.admin:
        yield
        return
    try:
        yield
    except (NotFound, PermissionDenied) as exc:
        raise NotFound(
            f"team {team_id!r} has nothing here that you may see", field="team_id"
        ) from exc


def _person(session: Session, viewer: Viewer) -> int:
    if viewer.user_id is None:
        raise PermissionDenied("this needs a programme person's key", field="scope")
    try:
        return catalog.get_user(session, external_id=viewer.user_id).id
    except NotFound as exc:
        raise PermissionDenied(f"{viewer.user_id!r} is not in the programme") from exc


def _is_manager(rows: list[ProgrammeMember], user: int) -> bool:
    return any(r.user_id == user and r.role == "manager" for r in rows)


def _membership(
    session: Session, team: ProgrammeTeam, user_id: str, *, role: str
) -> ProgrammeMember:
    ids = catalog.user_ids(session, external_ids=[user_id])
    row = (
        repo.find_member(session, team_id=team.id, user_id=ids[user_id], role=role)
        if user_id in ids
        else None
    )
    if row is None:
        raise NotFound(f"{user_id!r} is not a {role} of team {team.external_id!r}", field="user_id")
    return row


def _external_user_ids(session: Session, internal: list[int]) -> dict[int, str]:
    return repo.user_external_ids(session, user_ids=internal)


def _check_days(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise InvalidInput("the last day is before the first", field="to", limit=str(first_day))
    if (last_day - first_day).days + 1 > MAX_RECORD_DAYS:
        raise InvalidInput(
            f"at most {MAX_RECORD_DAYS} days per query", field="to", limit=MAX_RECORD_DAYS
        )


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
