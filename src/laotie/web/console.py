"""What every console page shares: the signed-in principal, CSRF, language and rendering."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from laotie.core.errors import LaotieError, PermissionDenied
from laotie.store.repos import console as accounts
from laotie.store.repos.access import Principal
from laotie.web.highlight import highlight
from laotie.web.i18n import DEFAULT_LANG, LANGS, translator
from laotie.web.invoke import permits

log = logging.getLogger(__name__)
SESSION_COOKIE = "lt_session"
LANG_COOKIE = "lt_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["highlight"] = highlight
# show Chinese in JSON as written, not as \u escapes (tojson still escapes <, >, & and ')
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}


def _ms_time(ms: int | None) -> str:
    """Epoch milliseconds as UTC date and time (— when unknown)."""
    if ms is None:
        return "—"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


templates.env.filters["ms_time"] = _ms_time


class SignInRequired(Exception):
    """The request has no live session; the console answers with the sign-in page."""


@dataclass(frozen=True)
class Page:
    """A console page in the navigation and the API endpoint whose role rule admits to it."""

    path: str
    label: str
    endpoint: Callable[..., Any]


def language(request: Request) -> str:
    """The visitor's language: ``?lang=``, then the cookie, then Chinese."""
    lang = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE) or DEFAULT_LANG
    return lang if lang in LANGS else DEFAULT_LANG


@dataclass
class Visit:
    """One signed-in request: who, in which language, with which CSRF token."""

    request: Request
    principal: Principal
    subject: str
    csrf_token: str
    lang: str

    def t(self, message_id: str) -> str:
        """The message in the visitor's language."""
        return translator(self.lang)(message_id)

    async def allowed(self, endpoint: Callable[..., Any]) -> bool:
        """Whether the API endpoint's role rule admits this visitor."""
        return await permits(endpoint, self.request, self.principal)

    async def require(self, endpoint: Callable[..., Any]) -> None:
        """Refuse this visit when the API endpoint would refuse its principal."""
        if not await self.allowed(endpoint):
            raise PermissionDenied(
                f"role {self.principal.role} may not see this page", field="role"
            )

    async def nav(self) -> list[tuple[Page, bool]]:
        """The pages this visitor may open, each with whether it is the current one."""
        from laotie.web.pages import PAGES

        here = self.request.url.path
        shown = []
        for page in PAGES:
            if await self.allowed(page.endpoint):
                current = here == page.path or (page.path != "/" and here.startswith(page.path))
                shown.append((page, current))
        return shown

    async def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        """Render a page in the layout, with navigation and the visitor's language."""
        response = templates.TemplateResponse(
            self.request,
            template,
            {
                "t": self.t,
                "lang": self.lang,
                "visit": self,
                "nav": await self.nav(),
                "csrf_token": self.csrf_token,
                **context,
            },
            status_code=status_code,
        )
        remember_language(self.request, response, self.lang)
        return response


def remember_language(request: Request, response: Response, lang: str) -> None:
    """Keep an explicitly chosen language in a cookie."""
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", secure=_https(request)
        )


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when served over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=accounts.SESSION_TTL_MS // 1000,
        httponly=True,
        samesite="lax",
        secure=_https(request),
        path="/",
    )


async def load_visit(request: Request) -> Visit:
    """The signed-in visit of the session cookie; raises SignInRequired without a live one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    services = request.app.state.services

    def load() -> accounts.SignedIn | None:
        with services.db.session() as session:
            return accounts.load_session(session, token=token, now_ms=services.clock.now_ms())

    signed_in = await run_in_threadpool(load)
    if signed_in is None:
        raise SignInRequired
    return Visit(
        request, signed_in.principal, signed_in.subject, signed_in.csrf_token, language(request)
    )


async def current_visit(request: Request) -> Visit:
    """The signed-in visit; a request that changes anything must echo its CSRF token."""
    visit = await load_visit(request)
    if request.method not in ("GET", "HEAD"):
        await _check_csrf(request, visit.csrf_token)
    return visit


async def _check_csrf(request: Request, expected: str) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise PermissionDenied("the form's CSRF token is missing or wrong", field=CSRF_FIELD)


VisitDep = Annotated[Visit, Depends(current_visit)]


class ConsoleRoute(APIRoute):
    """A console route: no session -> the sign-in page; a laotie error -> an HTML error page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                target = request.url.path
                if request.url.query:
                    target += "?" + request.url.query
                if request.headers.get("hx-request"):
                    return Response(status_code=401, headers={"HX-Redirect": "/login"})
                return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
            except LaotieError as exc:
                return await _error_page(request, exc)

        return handle


def _quote(target: str) -> str:
    return quote(target, safe="/")


async def _error_page(request: Request, exc: LaotieError) -> HTMLResponse:
    lang = language(request)
    t = translator(lang)
    try:
        visit: Visit | None = await load_visit(request)
    except (SignInRequired, LaotieError):
        visit = None
    context: dict[str, Any] = {
        "t": t,
        "lang": lang,
        "visit": visit,
        "nav": await visit.nav() if visit else [],
        "csrf_token": visit.csrf_token if visit else "",
        "status": exc.status,
        "detail": exc.message,
        "forbidden": isinstance(exc, PermissionDenied),
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=exc.status)
