"""The web console: server-rendered pages (Jinja2 + HTMX) and offline API docs.

``mount(app)`` adds the console at ``/``, its static files at ``/static`` and the Swagger UI
and ReDoc pages at ``/docs`` and ``/redoc``, every asset served by laotie itself.
"""

from __future__ import annotations

from fastapi import FastAPI

from laotie.web.apidocs import mount_api_docs
from laotie.web.pages import console_router
from laotie.web.static import mount_static

__all__ = ["mount"]


def mount(app: FastAPI) -> None:
    """Serve the console, its assets and the offline API docs on ``app``."""
    mount_api_docs(app)  # before /static: its assets live under /static/apidocs
    mount_static(app)
    app.include_router(console_router())
