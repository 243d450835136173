"""Who may see what in the team watch-time programme (the privacy rules of ``insights.teams``):
the viewer, and the checks every read and write of the programme applies."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from laotie.core.errors import InvalidInput, NotFound, PermissionDenied
from laotie.store.repos import catalog
from laotie.store.repos import insights as repo
from laotie.store.tables import ProgrammeMember, ProgrammeTeam

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


def require_admin(viewer: Viewer) -> None:
    """PermissionDenied unless the viewer is an admin."""
    if not viewer.admin:
        raise PermissionDenied("only an admin may do this", field="role")


@contextmanager
def hidden_from(viewer: Viewer, team_id: str) -> Iterator[None]:
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


def person_row(session: Session, viewer: Viewer) -> int:
    """The internal user id of a person viewer (PermissionDenied otherwise)."""
    if viewer.user_id is None:
        raise PermissionDenied("this needs a programme person's key", field="scope")
    try:
        return catalog.get_user(session, external_id=viewer.user_id).id
    except NotFound as exc:
        raise PermissionDenied(f"{viewer.user_id!r} is not in the programme") from exc


def is_manager(rows: list[ProgrammeMember], user: int) -> bool:
    """Whether ``user`` manages the team these member rows belong to."""
    return any(r.user_id == user and r.role == "manager" for r in rows)


def membership(
    session: Session, team: ProgrammeTeam, user_id: str, *, role: str
) -> ProgrammeMember:
    """The membership of ``user_id`` in ``team`` with ``role`` (NotFound otherwise)."""
    ids = catalog.user_ids(session, external_ids=[user_id])
    row = (
        repo.find_member(session, team_id=team.id, user_id=ids[user_id], role=role)
        if user_id in ids
        else None
    )
    if row is None:
        raise NotFound(f"{user_id!r} is not a {role} of team {team.external_id!r}", field="user_id")
    return row


def external_user_ids(session: Session, internal: list[int]) -> dict[int, str]:
    """External ids of internal user ids."""
    return repo.user_external_ids(session, user_ids=internal)


def check_days(first_day: date, last_day: date) -> None:
    """InvalidInput unless ``first_day``..``last_day`` is an ordered range of allowed length."""
    if last_day < first_day:
        raise InvalidInput("the last day is before the first", field="to", limit=str(first_day))
    if (last_day - first_day).days + 1 > MAX_RECORD_DAYS:
        raise InvalidInput(
            f"at most {MAX_RECORD_DAYS} days per query", field="to", limit=MAX_RECORD_DAYS
        )
