"""The app each process of ``laotie serve --workers N`` builds for itself.

uvicorn starts N worker processes (spawned, sharing one listening socket); each imports this
module and calls ``create_served_app``, so each has its own services, connection pool and
in-process state, built from the same settings (the environment it inherits). What the
processes share is the database: the event log, the ledger, the catalog. See docs/deploy.md
for what stays per process.
"""

from __future__ import annotations

from typing import Any

from laotie.api.app import create_app
from laotie.api.process import prepare_for_serving
from laotie.api.server import protocol_for
from laotie.core.settings import load_settings

#: this process's settings, read once from the inherited environment
SETTINGS = load_settings()
#: the connection protocol with these settings' header deadline (uvicorn imports it by name)
Protocol = protocol_for(SETTINGS)


def create_served_app() -> Any:
    """Build this worker's services and app, ready to serve (uvicorn's app factory)."""
    from laotie.wiring import build_services

    services = build_services(SETTINGS)
    services.feed.served.version  # noqa: B018 - load the served model before the first request
    app = create_app(services)
    services.deliver_in_background()  # a request is acknowledged on commit, before charging
    prepare_for_serving()
    return app
