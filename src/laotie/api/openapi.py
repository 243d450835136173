"""The OpenAPI document: the API-key security scheme and the events body.

FastAPI derives most of the document from the routes; this adds what it cannot see: keys are
read from headers by ``api.deps.current_key`` (declared here as security schemes, which gives
Swagger UI its Authorize button), and
``POST /v1/events`` parses its raw body for speed (its schema is declared here).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from laotie.store.eventschema import EventIn

#: header parameters that carry the key: replaced by the security schemes
_KEY_HEADERS = {"authorization", "x-api-key"}
#: operations that need no key
_OPEN_PATHS = {"/v1/health"}


def _events_body(max_batch: int) -> dict[str, Any]:
    events = {
        "type": "array",
        "maxItems": max_batch,
        # each event is checked on its own and a bad one is rejected in the answer, not the
        # batch (see EventIn for what an event holds)
        "items": {"description": "an event: EventIn"},
    }
    return {
        "required": True,
        "description": f'a JSON array of at most {max_batch} events, or {{"events": [...]}}',
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        events,
                        {
                            "type": "object",
                            "required": ["events"],
                            "properties": {"events": events},
                        },
                    ]
                }
            }
        },
    }


def build_openapi(app: FastAPI, *, max_batch: int) -> dict[str, Any]:
    """The API's OpenAPI document with security schemes and the events body (``problems.document``
    adds the problem answers)."""
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    event_schema = EventIn.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(event_schema.pop("$defs", {}))
    schemas["EventIn"] = event_schema
    components["securitySchemes"] = {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "an API key (lt_<id>.<secret>) as 'Authorization: Bearer <key>'",
        },
        "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            params = [
                p
                for p in operation.get("parameters", [])
                if not (p.get("in") == "header" and p.get("name", "").lower() in _KEY_HEADERS)
            ]
            if params:
                operation["parameters"] = params
            else:
                operation.pop("parameters", None)
            if path not in _OPEN_PATHS:
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
            if path == "/v1/events" and method == "post":
                operation["requestBody"] = _events_body(max_batch)
    return document


def install(app: FastAPI, *, max_batch: int) -> None:
    """Serve ``build_openapi`` (computed once) at the app's ``openapi_url``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app, max_batch=max_batch)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
