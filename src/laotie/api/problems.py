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


#: statuses any authenticated operation may answer with a problem document
ERROR_STATUSES = {
    401: "no key, or a key that does not match",
    403: "the key's role or scope does not allow this",
    404: "a named thing does not exist",
    409: "the request clashes with existing state",
    422: "invalid input; names the field and the limit",
    429: "too many requests from this key or client address",
}
#: statuses of operations that take a body, in addition
BODY_ERROR_STATUSES = {
    400: "the body could not be read as the declared content type",
    408: "the request body stalled",
    413: "the request body is larger than its limit",
}
#: the answer of an operation that spends a balance (coins, an amount owed) it may find short
INSUFFICIENT_BALANCE: dict[int | str, dict[str, Any]] = {
    402: {
        "description": "the balance is less than the amount; names the field and the amount",
        "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}
#: an operation marked with this OpenAPI extension answers some errors in a format a third party
#: prescribes (a payment provider's webhook): the statuses it declares itself are kept
OWN_ERRORS = "x-laotie-own-errors"
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "description": "stable URI naming the problem"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request path"},
        "field": {"type": "string", "description": "the field that broke a rule"},
        "limit": {"description": "the rule it broke"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}


def document(app: FastAPI) -> None:
    """Make ``app``'s OpenAPI document state the problem documents every operation may
    answer with (their statuses and ``application/problem+json``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        spec = build()
        spec.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
        problem_ref = {"$ref": "#/components/schemas/Problem"}
        for path, operations in spec.get("paths", {}).items():
            for method, operation in operations.items():
                statuses = dict(ERROR_STATUSES) if path.startswith("/v1/") else {}
                if path.startswith("/v1/") and method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                    statuses |= BODY_ERROR_STATUSES
                if "422" in operation.get("responses", {}):
                    statuses[422] = ERROR_STATUSES[422]
                responses = operation.setdefault("responses", {})
                for status, description in statuses.items():
                    if operation.get(OWN_ERRORS) and str(status) in responses:
                        continue
                    responses[str(status)] = {
                        "description": description,
                        "content": {MEDIA_TYPE: {"schema": problem_ref}},
                    }
        app.openapi_schema = spec
        return spec

    app.openapi = openapi  # type: ignore[method-assign]


def _error_of(error: Any) -> dict[str, str]:
    """field and message of a validation error; a model validator's ``ValueError`` names its
    field at the start of its message (``"title: may not be null"``)."""
    field, message = _field_of(tuple(error.get("loc", ()))), str(error.get("msg", "invalid"))
    if message.startswith("Value error, "):
        named, sep, rest = message.removeprefix("Value error, ").partition(": ")
        if sep and named.replace(".", "").replace("_", "").isalnum():
            inner = named if field == "body" else f"{field}.{named}"
            return {"field": inner.removeprefix("body."), "message": rest}
    return {"field": field, "message": message}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into a problem document."""

    @app.exception_handler(LaotieError)
    async def _laotie(request: Request, exc: LaotieError) -> JSONResponse:
        return error_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_error_of(e) for e in exc.errors()]
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
