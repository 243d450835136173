"""Request and response schemas of the team watch-time programme."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ExternalId = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:\-]+$")
#: the default daily watch goal of a team, in minutes
DEFAULT_DAILY_GOAL_MINUTES = 60


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgCreate(_Schema):
    """A new organisation."""

    id: str = ExternalId
    name: str = Field(min_length=1, max_length=200)


class OrgPublic(_Schema):
    """An organisation as the API shows it."""

    id: str
    name: str
    created_at_ms: int


class TeamCreate(_Schema):
    """A new team of an organisation; the daily goal is in minutes of watching."""

    id: str = ExternalId
    org_id: str = ExternalId
    name: str = Field(min_length=1, max_length=200)
    daily_goal_minutes: int = Field(default=DEFAULT_DAILY_GOAL_MINUTES, ge=1, le=1440)


class TeamUpdate(_Schema):
    """Fields of a team that may change."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    daily_goal_minutes: int | None = Field(default=None, ge=1, le=1440)


class TeamPublic(_Schema):
    """A team as the API shows it."""

    id: str
    org_id: str
    name: str
    daily_goal_minutes: int
    created_at_ms: int


class MemberCreate(_Schema):
    """Add a platform user (external id) to a team as a member or a manager."""

    user_id: str = ExternalId
    role: Literal["member", "manager"] = "member"
    email: str = Field(default="", max_length=320, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    display_name: str = Field(default="", max_length=200)


class MemberPublic(_Schema):
    """A membership as the API shows it."""

    team_id: str
    user_id: str
    role: str
    display_name: str
    email: str
    opted_out: bool
    created_at_ms: int


class DailyRecord(_Schema):
    """One member's watching on one local day against the team's goal."""

    day: str
    minutes: float
    goal_minutes: int
    goal_met: bool


class MemberRecords(_Schema):
    """A member's daily records in one team."""

    team_id: str
    user_id: str
    opted_out: bool
    records: list[DailyRecord]


class DigestRow(_Schema):
    """One member's line in a manager's digest."""

    user_id: str
    display_name: str
    minutes: float
    goal_met: bool
    days_met_last_7: int
    mean_minutes_last_7: float


class DigestPublic(_Schema):
    """A manager's daily digest of one team (opted-out members are not in it at all)."""

    team_id: str
    team_name: str
    manager_user_id: str
    day: str
    goal_minutes: int
    members: list[DigestRow]
    members_met: int
    status: str
    html: str


class DigestRun(_Schema):
    """What one digest run did, counted per outcome."""

    day: str
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    already_sent: int = 0
    errors: list[str] = Field(default_factory=list)
