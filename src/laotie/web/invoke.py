"""Call the HTTP API's own endpoint functions as the signed-in principal.

The console never restates who may do what: each page and action calls the API endpoint that
does the same thing, resolving that endpoint's dependencies (the services, the current key,
``require_role`` checks, the team programme's viewer) with the console's principal instead of
an ``Authorization`` header. A role the API refuses is refused here by the same code.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import Request
from fastapi.params import Depends
from starlette.concurrency import run_in_threadpool

from laotie.api.deps import current_key, get_services
from laotie.core.errors import PermissionDenied
from laotie.store.repos.access import Principal


def _dependency_of(hint: Any) -> Callable[..., Any] | None:
    if get_origin(hint) is not Annotated:
        return None
    for meta in get_args(hint)[1:]:
        if isinstance(meta, Depends) and meta.dependency is not None:
            return meta.dependency
    return None


async def _resolve(
    fn: Callable[..., Any], request: Request, principal: Principal, given: dict[str, Any]
) -> dict[str, Any]:
    """Arguments for ``fn``: dependencies resolved, ``given`` as passed, defaults otherwise."""
    hints = get_type_hints(fn, include_extras=True)
    args: dict[str, Any] = {}
    for name, param in inspect.signature(fn).parameters.items():
        hint = hints.get(name)
        dependency = _dependency_of(hint)
        if name in given:
            args[name] = given[name]
        elif dependency is not None:
            args[name] = await _run_dependency(dependency, request, principal)
        elif hint is Request:
            args[name] = request
        elif param.default is not inspect.Parameter.empty:
            args[name] = param.default
        else:
            raise TypeError(f"{fn.__qualname__} needs {name!r}, which the console did not give")
    return args


async def _run_dependency(
    dependency: Callable[..., Any], request: Request, principal: Principal
) -> Any:
    if dependency is get_services:
        return request.app.state.services
    if dependency is current_key:
        return principal
    return await _call(dependency, await _resolve(dependency, request, principal, {}))


async def _call(fn: Callable[..., Any], args: dict[str, Any]) -> Any:
    if inspect.iscoroutinefunction(fn):
        return await fn(**args)
    return await run_in_threadpool(partial(fn, **args))


async def call_api(
    endpoint: Callable[..., Any], request: Request, principal: Principal, **given: Any
) -> Any:
    """Run an API endpoint as ``principal`` with the keyword arguments ``given``."""
    return await _call(endpoint, await _resolve(endpoint, request, principal, given))


async def permits(endpoint: Callable[..., Any], request: Request, principal: Principal) -> bool:
    """Whether the endpoint's own dependencies (role checks) admit ``principal``."""
    hints = get_type_hints(endpoint, include_extras=True)
    try:
        for name in inspect.signature(endpoint).parameters:
            dependency = _dependency_of(hints.get(name))
            if dependency is not None:
                await _run_dependency(dependency, request, principal)
    except PermissionDenied:
        return False
    return True
