"""Sign-in (account password or API key) and sign-out."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from laotie.core.errors import InvalidInput, PermissionDenied, Unauthenticated
from laotie.store.repos import console as accounts
from laotie.web.console import (
    CSRF_FIELD,
    SESSION_COOKIE,
    ConsoleRoute,
    VisitDep,
    language,
    remember_language,
    set_session_cookie,
    templates,
)
from laotie.web.i18n import translator

router = APIRouter(include_in_schema=False, route_class=ConsoleRoute)
#: the sign-in form's CSRF token travels in this cookie and in the form (double submit)
LOGIN_CSRF_COOKIE = "lt_login_csrf"


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help a phishing page."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_page(request: Request, *, failed: bool, target: str, status_code: int = 200) -> Response:
    lang = language(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "t": translator(lang),
            "lang": lang,
            "visit": None,
            "nav": [],
            "csrf_token": token,
            "failed": failed,
            "next": target,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    remember_language(request, response, lang)
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, next: str | None = None) -> Response:
    """The sign-in page."""
    return _login_page(request, failed=False, target=_safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD_CHARS)] = "",
    api_key: Annotated[str, Form(max_length=300)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check a password or an API key and open a session."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token, expected):
        raise PermissionDenied("the form's CSRF token is missing or wrong", field=CSRF_FIELD)
    services = request.app.state.services

    def sign_in() -> str:
        now = services.clock.now_ms()
        with services.db.session() as session:
            if api_key.strip():
                return accounts.sign_in_with_key(session, key=api_key, now_ms=now)
            if not username:
                raise InvalidInput("give a user name and password, or an API key", field="username")
            principal = accounts.check_password(session, username=username, password=password)
            return accounts.open_session(
                session, principal=principal, subject=principal.key_id, now_ms=now
            )

    try:
        token = await run_in_threadpool(sign_in)
    except (Unauthenticated, InvalidInput):
        return _login_page(request, failed=True, target=_safe_next(next), status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, visit: VisitDep) -> Response:
    """Close the session (the form carries the CSRF token)."""
    services = request.app.state.services
    token = request.cookies.get(SESSION_COOKIE, "")

    def close() -> None:
        with services.db.session() as session:
            accounts.close_session(session, token=token)

    await run_in_threadpool(close)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
