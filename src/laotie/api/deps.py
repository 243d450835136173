"""Dependency aliases shared by the routers: services, the current key, role checks."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from laotie.core.errors import PermissionDenied, Unauthenticated
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal, authenticate
from laotie.wiring import Services

#: seconds an authenticated key is trusted before it is checked against the store again
KEY_CACHE_SECONDS = 10.0
_key_cache: dict[str, tuple[float, Principal]] = {}


async def get_services(request: Request) -> Services:
    """The process's services, attached to the app at creation.

    The dependencies here that need no I/O are ``async``, so FastAPI runs them on the event
    loop instead of handing each to the thread pool (a thread hop per dependency per request).
    """
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def current_key(
    services: ServicesDep,
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Principal:
    """The principal of the request's API key (``Authorization: Bearer`` or ``X-API-Key``)."""
    key = x_api_key
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value:
            raise Unauthenticated("Authorization header must be 'Bearer <key>'")
        key = value.strip()
    if not key:
        raise Unauthenticated("an API key is required (Authorization: Bearer <key>)")
    cached = _key_cache.get(key)
    now = time.monotonic()
    if cached and now - cached[0] < KEY_CACHE_SECONDS:
        return cached[1]
    principal = await run_in_threadpool(_authenticate, services, key)
    _key_cache[key] = (now, principal)
    return principal


def _authenticate(services: Services, key: str) -> Principal:
    with services.db.session() as session:
        return authenticate(session, key=key)


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
