"""Serve the API of a ``Services`` over HTTP (``laotie serve`` and ``laotie demo``)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from laotie.cli._common import console

if TYPE_CHECKING:
    from laotie.wiring import Services


def url_line(host: str, port: int) -> str:
    """The line a server prints first: where it listens and what is there."""
    return f"laotie serving on http://{host}:{port} (console /, API docs /docs)"


def log_config() -> dict[str, Any]:
    """uvicorn's logging, with a timestamp on every line: the access log is one line a request."""
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        formatter["fmt"] = "%(asctime)s " + formatter["fmt"]
        formatter["datefmt"] = "%Y-%m-%d %H:%M:%S"
    return config


def serve_api(svc: Services, *, host: str, port: int, workers: int = 1) -> None:
    """Serve the API on ``svc`` until interrupted, logging each request at LAOTIE_LOG_LEVEL.

    With ``workers`` > 1, ``svc`` only prepared the home and database (migrations run once,
    here): it is closed, and each worker process builds its own services."""
    from laotie.api import create_app
    from laotie.api.process import prepare_for_serving
    from laotie.api.server import serve

    app = None
    if workers > 1:
        svc.close()
        console.print(f"{url_line(host, port)}, {workers} worker processes", highlight=False)
    else:
        # load the served feed model now, so the first request does not pay for it
        svc.feed.served.version  # noqa: B018
        app = create_app(svc)
        svc.deliver_in_background()  # a request is acknowledged on commit, before charging
        prepare_for_serving()
        console.print(url_line(host, port), highlight=False)
    serve(
        app,
        svc.settings,
        host=host,
        port=port,
        log_level=svc.settings.log_level.lower(),
        log_config=log_config(),
        workers=workers,
    )
