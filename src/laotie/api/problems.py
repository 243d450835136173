"""RFC 9457 problem documents: the one mapping from laotie's errors to HTTP responses."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from laotie.core.errors import LaotieError

log = logging.getLogger(__name__)
PROBLEM_BASE = "https://laotie.dev/problems/"
MEDIA_TYPE = "application/problem+json"


def problem(
    status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> JSONResponse:
    """A problem document response with a stable ``type`` URI."""
    body = {
        "type": PROBLEM_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


class BodyRefused(HTTPException):
    """A laotie error raised while a body is read (FastAPI passes HTTPExceptions through)."""

    def __init__(self, error: LaotieError) -> None:
        super().__init__(error.status, error.message)
        self.error = error


def error_response(exc: LaotieError, instance: str) -> JSONResponse:
    """The problem document of a laotie error."""
    context = {k: v for k, v in exc.context.items() if isinstance(v, str | int | float)}
    return problem(exc.status, exc.code, type(exc).__name__, exc.message, instance, **context)


def _field_of(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(LaotieError)
    async def _laotie(request: Request, exc: LaotieError) -> JSONResponse:
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_of(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "message": "invalid"}
        return problem(
            422,
            "invalid-input",
            "InvalidInput",
            f"{first['field']}: {first['message']}",
            request.url.path,
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, BodyRefused):
            response = error_response(exc.error, request.url.path)
            response.headers["connection"] = "close"  # the rest of the body is not read
            return response
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, code, "HTTPError", str(exc.detail), request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem(
            500, "internal", "InternalError", "an internal error occurred", request.url.path
        )
