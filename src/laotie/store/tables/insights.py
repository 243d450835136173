"""Insights tables: the team watch-time programme (organisations, teams, members, consent
log, digests) and the worker's persisted job schedule."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class ProgrammeOrg(Base):
    """An organisation taking part in the watch-time programme."""

    __tablename__ = "insights_orgs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at_ms: Mapped[int]


class ProgrammeTeam(Base):
    """A team of an organisation, with its daily watch goal in minutes."""

    __tablename__ = "insights_teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("insights_orgs.id"))
    name: Mapped[str] = mapped_column(String(200))
    daily_goal_minutes: Mapped[int] = mapped_column(Integer, default=60)
    created_at_ms: Mapped[int]


class ProgrammeMember(Base):
    """A platform user in a team as ``member`` (their minutes count) or ``manager`` (gets the
    team's digest). ``opted_out_at_ms`` set means: record nothing about them for others."""

    __tablename__ = "insights_members"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", "role", name="uq_insights_members_team_user_role"),
        Index("ix_insights_members_user", "user_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("insights_teams.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    email: Mapped[str] = mapped_column(String(320), default="")
    display_name: Mapped[str] = mapped_column(String(200), default="")
    opted_out_at_ms: Mapped[int | None]
    created_at_ms: Mapped[int]


class ProgrammeConsent(Base):
    """The append-only record of every opt-out and opt-in, and who recorded it."""

    __tablename__ = "insights_consent_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("insights_members.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    recorded_by: Mapped[str] = mapped_column(String(128))
    at_ms: Mapped[int]


class ProgrammeDigest(Base):
    """One manager's daily digest of one team: the HTML as built and its delivery state."""

    __tablename__ = "insights_digests"
    __table_args__ = (
        UniqueConstraint("manager_member_id", "day", name="uq_insights_digests_manager_day"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("insights_teams.id"))
    manager_member_id: Mapped[int] = mapped_column(ForeignKey("insights_members.id"))
    day: Mapped[str] = mapped_column(String(10))
    recipient: Mapped[str] = mapped_column(String(320), default="")
    html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    sent_at_ms: Mapped[int | None]
    created_at_ms: Mapped[int]


class ScheduledJob(Base):
    """Persisted state of one periodic worker job: the last due time it ran for."""

    __tablename__ = "insights_jobs"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_due_ms: Mapped[int | None]
    last_started_ms: Mapped[int | None]
    last_finished_ms: Mapped[int | None]
    last_status: Mapped[str] = mapped_column(String(16), default="never")
    last_error: Mapped[str | None] = mapped_column(Text)
    runs: Mapped[int] = mapped_column(Integer, default=0)
