"""Managers' daily digests of the team watch-time programme: built from the members' minutes
(opted-out members left out), stored, and emailed once per manager and day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy.orm import Session

from laotie.core.clock import Clock
from laotie.core.errors import LaotieError, PermissionDenied
from laotie.insights.days import day_of_ms
from laotie.insights.digest import (
    SmtpConfig,
    digest_text,
    render_digest_html,
    send_html_email,
)
from laotie.insights.schemas import DigestPublic, DigestRow, DigestRun
from laotie.insights.team_access import Viewer, external_user_ids, membership
from laotie.store.db import Database
from laotie.store.repos import insights as repo
from laotie.store.tables import ProgrammeDigest, ProgrammeMember, ProgrammeTeam

#: minutes watched per internal user id and local day (``TeamProgramme.daily_minutes``)
DailyMinutes = Callable[..., dict[int, dict[date, float]]]


class TeamDigests:
    """Builds, stores and sends managers' digests."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        tz: str,
        smtp: SmtpConfig | None,
        daily_minutes: DailyMinutes,
    ) -> None:
        self.db = db
        self.clock = clock
        self.tz = tz
        self.smtp = smtp
        self._daily_minutes = daily_minutes

    def digest(
        self, team_id: str, manager_user_id: str, *, day: date, viewer: Viewer
    ) -> DigestPublic:
        """Build (and store) a manager's digest of a team for a local day: the manager
        themselves or an admin. Opted-out members are left out entirely."""
        if not viewer.admin and viewer.user_id != manager_user_id:
            raise PermissionDenied("a digest is only for its manager (or an admin)")
        with self.db.session() as session:
            team = repo.get_team(session, external_id=team_id)
            manager = membership(session, team, manager_user_id, role="manager")
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
        names = external_user_ids(session, [m.user_id for m in members])
        week_start = day - timedelta(days=6)
        minutes = self._daily_minutes(
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
                names = external_user_ids(session, [m.user_id for m in managers])
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
