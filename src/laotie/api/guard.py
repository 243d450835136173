"""Limits before work: authenticate before a body is read, cap bodies, rate-limit keys.

``BodyGuard`` is an ASGI middleware in front of every route. A request that may carry a body
(POST, PUT, PATCH, DELETE under ``/v1/``) must present a valid key before a byte of its body
is read; the body is then counted as it streams in and refused once it passes the route's
cap (413), whether or not it declared a ``Content-Length``, and refused when it stalls
(408). ``Guard`` keeps the rate limits as moving windows in the ``LiveState`` (in process, or
shared by every serving process on one Redis): requests per key, and failed authentications
per client address (past that, the address is refused with 429 before its key is even
checked). The limits are written in the ``limits`` library's syntax.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from limits import RateLimitItem, parse_many
from starlette.concurrency import run_in_threadpool

from laotie.api.problems import BodyRefused, error_response
from laotie.core.errors import (
    LaotieError,
    PayloadTooLarge,
    RateLimited,
    RequestTimeout,
    Unauthenticated,
)
from laotie.core.settings import Settings
from laotie.store.repos.access import Principal, authenticate
from laotie.wiring import Services

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: methods whose requests may carry a body, so they are authenticated before it is read
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: routes a payment provider calls: authenticated by the provider's signature on the body (the
#: route verifies it), so they carry no API key; their bodies are still capped
SIGNED_PATHS = frozenset({"/v1/commerce/payments/wechatpay/notify"})
#: seconds an authenticated key is trusted before it is checked against the store again
KEY_CACHE_SECONDS = 10.0


def _limits(text: str) -> list[RateLimitItem]:
    return list(parse_many(text)) if text.strip() else []


def _window(item: RateLimitItem, kind: str, who: str) -> tuple[str, int]:
    """The live-state key and window (ms) of one limit on one key or address."""
    return f"rate:{item.key_for(kind, who)}", item.get_expiry() * 1000


class Guard:
    """Rate limits and the cached key check shared by the middleware and ``current_key``."""

    def __init__(self, services: Services) -> None:
        self.services = services
        settings = services.settings
        self.per_key = _limits(settings.rate_limit_per_key)
        self.failed_auth = _limits(settings.rate_limit_failed_auth)
        self.live = services.live
        self._keys: dict[str, tuple[float, Principal]] = {}

    def body_limit(self, path: str) -> int | None:
        """The byte cap of a request body on ``path`` (None: streamed by the route itself)."""
        settings: Settings = self.services.settings
        if path == "/v1/events":
            return settings.max_batch_bytes
        if path == "/v1/studio/files":
            return None  # the studio files area caps what it writes
        if path == "/v1/uploads":
            return settings.trust_max_upload_mb * 1024 * 1024 + 64 * 1024
        return settings.max_body_bytes

    def _refuse_locked_out(self, address: str) -> None:
        for item in self.failed_auth:
            if self._count(item, "failed-auth", address) >= item.amount:
                raise RateLimited(
                    f"too many failed authentications from {address}; retry later",
                    field="authorization",
                    limit=str(item),
                )

    async def principal(self, key: str | None, *, address: str) -> Principal:
        """The principal of ``key`` (cached a few seconds); failures count against ``address``."""
        self._refuse_locked_out(address)
        try:
            if not key:
                raise Unauthenticated("an API key is required (Authorization: Bearer <key>)")
            now = time.monotonic()
            cached = self._keys.get(key)
            if cached and now - cached[0] < KEY_CACHE_SECONDS:
                principal = cached[1]
            else:
                principal = await run_in_threadpool(self._authenticate, key)
                if len(self._keys) > 100_000:
                    self._keys.clear()
                self._keys[key] = (now, principal)
        except Unauthenticated:
            for item in self.failed_auth:
                self._hit(item, "failed-auth", address)
            raise
        for item in self.per_key:
            if not self._hit(item, "key", principal.key_id):
                raise RateLimited(
                    f"key {principal.key_id} made more than {item} requests; retry later",
                    field="authorization",
                    limit=str(item),
                )
        return principal

    def _hit(self, item: RateLimitItem, kind: str, who: str) -> bool:
        """Count one request of ``who`` against ``item``; False when it is over the limit."""
        key, window_ms = _window(item, kind, who)
        return self.live.hit(key, limit=item.amount, window_ms=window_ms)

    def _count(self, item: RateLimitItem, kind: str, who: str) -> int:
        """Requests of ``who`` counted against ``item`` in its window."""
        key, window_ms = _window(item, kind, who)
        return self.live.count(key, window_ms=window_ms)

    def _authenticate(self, key: str) -> Principal:
        with self.services.db.session() as session:
            return authenticate(session, key=key)


def key_of(headers: dict[str, str]) -> str | None:
    """The API key of a request (``Authorization: Bearer`` or ``X-API-Key``)."""
    authorization = headers.get("authorization")
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <key>'")
        return value.strip()
    return headers.get("x-api-key") or None


def client_address(scope: Scope) -> str:
    """The client's address as the server saw it."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class BodyGuard:
    """ASGI middleware: a key before any body is read, a byte cap and a stall timeout on it."""

    def __init__(self, app: ASGIApp, *, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            if path.startswith("/v1/") and path not in SIGNED_PATHS:
                key = key_of(headers)
                principal = await self.guard.principal(key, address=client_address(scope))
                scope.setdefault("state", {})["principal"] = principal
            limit = self.guard.body_limit(path)
            declared = headers.get("content-length", "")
            if limit is not None and declared.isdigit() and int(declared) > limit:
                raise PayloadTooLarge(
                    f"a request body on {path} is at most {limit} bytes", field="body", limit=limit
                )
        except LaotieError as exc:
            await _refuse(exc, scope, receive, send)
            return
        timeout = self.guard.services.settings.body_read_timeout_s
        await self.app(scope, _capped(receive, limit=limit, timeout_s=timeout, path=path), send)


def _capped(receive: Receive, *, limit: int | None, timeout_s: float, path: str) -> Receive:
    """``receive`` that counts body bytes and refuses past ``limit`` or a stall."""
    received = 0
    complete = False

    async def wrapped() -> Message:
        nonlocal received, complete
        if complete:
            return await receive()
        try:
            message = await asyncio.wait_for(receive(), timeout_s)
        except TimeoutError as exc:
            raise BodyRefused(
                RequestTimeout(
                    f"the request body stalled for more than {timeout_s} s",
                    field="body",
                    limit=timeout_s,
                )
            ) from exc
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            complete = not message.get("more_body", False)
            if limit is not None and received > limit:
                raise BodyRefused(
                    PayloadTooLarge(
                        f"a request body on {path} is at most {limit} bytes",
                        field="body",
                        limit=limit,
                    )
                )
        else:
            complete = True
        return message

    return wrapped


async def _refuse(exc: LaotieError, scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(exc, scope["path"])
    # the body was never read: ask the client to close, so it is not read as the next request
    response.headers["connection"] = "close"
    await response(scope, receive, send)
