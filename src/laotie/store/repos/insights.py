"""Insights repository: programme organisations, teams, members, consent log, digests, and
the worker's persisted job schedule."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.core.errors import Conflict, NotFound
from laotie.store.tables import (
    ProgrammeConsent,
    ProgrammeDigest,
    ProgrammeMember,
    ProgrammeOrg,
    ProgrammeTeam,
    ScheduledJob,
    User,
)

MEMBER_ROLES = ("member", "manager")


def _flush(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(f"{what} already exists") from exc


def create_org(session: Session, *, external_id: str, name: str, now_ms: int) -> ProgrammeOrg:
    """Create an organisation; Conflict if the id is taken."""
    row = ProgrammeOrg(external_id=external_id, name=name, created_at_ms=now_ms)
    session.add(row)
    _flush(session, f"organisation {external_id!r}")
    return row


def get_org(session: Session, *, external_id: str) -> ProgrammeOrg:
    """The organisation with this id; NotFound otherwise."""
    row = session.scalar(select(ProgrammeOrg).where(ProgrammeOrg.external_id == external_id))
    if row is None:
        raise NotFound(f"organisation {external_id!r} not found", field="org_id")
    return row


def list_orgs(session: Session) -> list[ProgrammeOrg]:
    """Every organisation, oldest first."""
    return list(session.scalars(select(ProgrammeOrg).order_by(ProgrammeOrg.id)))


def create_team(
    session: Session,
    *,
    external_id: str,
    org_id: int,
    name: str,
    daily_goal_minutes: int,
    now_ms: int,
) -> ProgrammeTeam:
    """Create a team in an organisation; Conflict if the id is taken."""
    row = ProgrammeTeam(
        external_id=external_id,
        org_id=org_id,
        name=name,
        daily_goal_minutes=daily_goal_minutes,
        created_at_ms=now_ms,
    )
    session.add(row)
    _flush(session, f"team {external_id!r}")
    return row


def get_team(session: Session, *, external_id: str) -> ProgrammeTeam:
    """The team with this id; NotFound otherwise."""
    row = session.scalar(select(ProgrammeTeam).where(ProgrammeTeam.external_id == external_id))
    if row is None:
        raise NotFound(f"team {external_id!r} not found", field="team_id")
    return row


def list_teams(session: Session, *, team_ids: Iterable[int] | None = None) -> list[ProgrammeTeam]:
    """Teams (all, or those with these internal ids), oldest first."""
    query = select(ProgrammeTeam).order_by(ProgrammeTeam.id)
    if team_ids is not None:
        query = query.where(ProgrammeTeam.id.in_(list(team_ids)))
    return list(session.scalars(query))


def org_external_id(session: Session, *, org_id: int) -> str:
    """The external id of an organisation by internal id."""
    row = session.get(ProgrammeOrg, org_id)
    if row is None:
        raise NotFound(f"organisation #{org_id} not found", field="org_id")
    return row.external_id


def add_member(
    session: Session,
    *,
    team_id: int,
    user_id: int,
    role: str,
    email: str,
    display_name: str,
    now_ms: int,
) -> ProgrammeMember:
    """Add a user to a team as ``member`` or ``manager``; Conflict if already there."""
    row = ProgrammeMember(
        team_id=team_id,
        user_id=user_id,
        role=role,
        email=email,
        display_name=display_name,
        opted_out_at_ms=None,
        created_at_ms=now_ms,
    )
    session.add(row)
    _flush(session, f"{role} #{user_id} of team #{team_id}")
    return row


def list_members(
    session: Session, *, team_id: int, role: str | None = None
) -> list[ProgrammeMember]:
    """A team's memberships (optionally of one role), oldest first."""
    query = select(ProgrammeMember).where(ProgrammeMember.team_id == team_id)
    if role is not None:
        query = query.where(ProgrammeMember.role == role)
    return list(session.scalars(query.order_by(ProgrammeMember.id)))


def find_member(
    session: Session, *, team_id: int, user_id: int, role: str
) -> ProgrammeMember | None:
    """The membership of a user in a team with a role, or None."""
    return session.scalar(
        select(ProgrammeMember).where(
            ProgrammeMember.team_id == team_id,
            ProgrammeMember.user_id == user_id,
            ProgrammeMember.role == role,
        )
    )


def memberships_of(session: Session, *, user_id: int) -> list[ProgrammeMember]:
    """Every membership of a user, in any team and role."""
    return list(
        session.scalars(
            select(ProgrammeMember)
            .where(ProgrammeMember.user_id == user_id)
            .order_by(ProgrammeMember.id)
        )
    )


def set_opted_out(
    session: Session, *, member: ProgrammeMember, opted_out: bool, recorded_by: str, now_ms: int
) -> ProgrammeMember:
    """Record an opt-out (or opt-in) in the consent log and on the membership."""
    member.opted_out_at_ms = now_ms if opted_out else None
    session.add(
        ProgrammeConsent(
            member_id=member.id,
            action="opt_out" if opted_out else "opt_in",
            recorded_by=recorded_by,
            at_ms=now_ms,
        )
    )
    session.flush()
    return member


def consent_log(session: Session, *, member_id: int) -> list[ProgrammeConsent]:
    """The consent history of a membership, oldest first."""
    return list(
        session.scalars(
            select(ProgrammeConsent)
            .where(ProgrammeConsent.member_id == member_id)
            .order_by(ProgrammeConsent.id)
        )
    )


def get_digest(session: Session, *, manager_member_id: int, day: str) -> ProgrammeDigest | None:
    """The stored digest of a manager membership for a local day, or None."""
    return session.scalar(
        select(ProgrammeDigest).where(
            ProgrammeDigest.manager_member_id == manager_member_id, ProgrammeDigest.day == day
        )
    )


def save_digest(
    session: Session,
    *,
    team_id: int,
    manager_member_id: int,
    day: str,
    recipient: str,
    html: str,
    now_ms: int,
) -> ProgrammeDigest:
    """Store (or rebuild, when not yet sent) a manager's digest for a day."""
    row = get_digest(session, manager_member_id=manager_member_id, day=day)
    if row is None:
        row = ProgrammeDigest(
            team_id=team_id,
            manager_member_id=manager_member_id,
            day=day,
            status="built",
            attempts=0,
            created_at_ms=now_ms,
            html=html,
            recipient=recipient,
        )
        session.add(row)
    elif row.status != "sent":
        row.html = html
        row.recipient = recipient
    session.flush()
    return row


def mark_digest(
    session: Session,
    *,
    digest_id: int,
    status: str,
    now_ms: int,
    error: str | None = None,
) -> None:
    """Record a delivery attempt's outcome (``sent``, ``failed`` or ``skipped``)."""
    row = session.get(ProgrammeDigest, digest_id)
    if row is None:
        raise NotFound(f"digest #{digest_id} not found", field="digest_id")
    row.status = status
    row.error = error
    if status in ("sent", "failed"):
        row.attempts += 1
    if status == "sent":
        row.sent_at_ms = now_ms


def job_state(session: Session, *, name: str) -> ScheduledJob:
    """The persisted state of a worker job (created as never-run on first use)."""
    row = session.get(ScheduledJob, name)
    if row is None:
        row = ScheduledJob(name=name, last_status="never", runs=0)
        session.add(row)
        session.flush()
    return row


def list_job_states(session: Session) -> list[ScheduledJob]:
    """Every job's persisted state, by name."""
    return list(session.scalars(select(ScheduledJob).order_by(ScheduledJob.name)))


def user_external_ids(session: Session, *, user_ids: Iterable[int]) -> dict[int, str]:
    """External ids of users by internal id."""
    wanted = list(set(user_ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 900):
        rows = session.execute(
            select(User.id, User.external_id).where(User.id.in_(wanted[start : start + 900]))
        )
        found.update({uid: ext for uid, ext in rows})
    return found
