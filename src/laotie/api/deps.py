"""Dependency aliases shared by the routers: services, the current key, role checks."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import AfterValidator, BeforeValidator

from laotie.api.guard import Guard, client_address, key_of
from laotie.core.errors import PermissionDenied
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal
from laotie.wiring import Services


async def get_services(request: Request) -> Services:
    """The process's services, attached to the app at creation.

    The dependencies here that need no I/O are ``async``, so FastAPI runs them on the event
    loop instead of handing each to the thread pool (a thread hop per dependency per request).
    """
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


#: the scope prefix of a person key: role app, scope ``person:<user id>``
PERSON_SCOPE_PREFIX = "person:"


async def current_key(request: Request) -> Principal:
    """The principal of the request's API key (``Authorization: Bearer`` or ``X-API-Key``).

    Requests with a body were authenticated by ``BodyGuard`` before their body was read; the
    others are here, through the same guard (cache, rate limits, failed-auth lockout). The
    OpenAPI document declares both headers as security schemes (``api.openapi``)."""
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    guard: Guard = request.app.state.guard
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await guard.principal(key_of(headers), address=client_address(request.scope))


CurrentKey = Annotated[Principal, Depends(current_key)]


def ensure_role(principal: Principal, *roles: Role | str) -> None:
    """Refuse a key whose role is not one of ``roles``."""
    allowed = {Role(r) for r in roles}
    if principal.role not in allowed:
        names = ", ".join(sorted(allowed))
        raise PermissionDenied(
            f"role {principal.role} may not do this; needs one of: {names}", field="role"
        )


def require_role(*roles: Role | str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that admits only keys whose role is one of ``roles``."""

    async def check(principal: CurrentKey) -> Principal:
        ensure_role(principal, *roles)
        return principal

    return check


def require_scope(principal: Principal, scope: str) -> None:
    """Refuse a creator/advertiser key acting outside its own scope (admins pass)."""
    if principal.role == Role.ADMIN:
        return
    if principal.scope != scope:
        raise PermissionDenied(
            f"this key is scoped to {principal.scope!r} and may not act on {scope!r}",
            field="scope",
        )


AdminKey = Annotated[Principal, Depends(require_role(Role.ADMIN))]
AppKey = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.APP))]
ReaderKey = Annotated[
    Principal, Depends(require_role(Role.ADMIN, Role.APP, Role.CREATOR, Role.ADVERTISER))
]


def person_of(principal: Principal) -> str | None:
    """The user id a person key acts for (role app, scope ``person:<user id>``), else None."""
    scope = principal.scope or ""
    if principal.role == Role.APP and scope.startswith(PERSON_SCOPE_PREFIX):
        return scope.removeprefix(PERSON_SCOPE_PREFIX)
    return None


def require_user(principal: Principal, user_id: str) -> None:
    """Refuse a person key acting for another user (admins and app keys, trusted servers,
    pass)."""
    own = person_of(principal)
    if own is not None and own != user_id:
        raise PermissionDenied(
            f"a person key acts only for its own user {own!r}, not {user_id!r}", field="user_id"
        )


#: the local days a caller may name (inclusive years)
FIRST_YEAR, LAST_YEAR = 1970, 2099
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _real_day(value: Any) -> date:
    """A ``YYYY-MM-DD`` string naming a real calendar day within the years allowed."""
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and _DAY.match(value):
        day = date.fromisoformat(value)  # ValueError for 2026-02-30
    else:
        raise ValueError("must be a day written YYYY-MM-DD")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"must be within {FIRST_YEAR}-01-01..{LAST_YEAR}-12-31")
    return day


def _real_day_text(value: str | None) -> str | None:
    return None if value is None else _real_day(value).isoformat()


#: a query parameter naming a local day (never a number read as a Unix time)
Day = Annotated[date, BeforeValidator(_real_day)]
#: the same for parameters that services take as ``YYYY-MM-DD`` text
DayText = Annotated[str, AfterValidator(_real_day_text)]
