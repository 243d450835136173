"""Serving the API with uvicorn, with a deadline for request headers.

uvicorn closes idle keep-alive connections, but a client that sends its request headers a
byte at a time resets that timer with every byte and holds a connection (and a slot of the
server's concurrency) for as long as it likes. ``HeaderDeadlineProtocol`` gives every request
``header_timeout_s`` to deliver its complete headers and closes the connection otherwise;
request bodies are held to ``body_read_timeout_s`` between chunks by ``api.guard``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from laotie.core.settings import Settings

#: seconds a connection waits for the next request once a response is sent
KEEP_ALIVE_S = 5
#: seconds a ``--workers`` process may take to start (or to answer a health check) before
#: the supervisor replaces it
WORKER_START_S = 120


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers come too slowly."""

    header_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Start the clock for the first request's headers."""
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm(self) -> None:
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def data_received(self, data: bytes) -> None:
        """Stop the clock once the request's headers are complete."""
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()

    def on_response_complete(self) -> None:
        """Start the clock again for the next request on a kept-alive connection."""
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the clock with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _headers_late(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers came too slowly")
            self.transport.close()


def protocol_for(settings: Settings) -> type[HeaderDeadlineProtocol]:
    """The protocol class with ``settings``' header deadline."""
    return type(
        "ConfiguredHeaderDeadlineProtocol",
        (HeaderDeadlineProtocol,),
        {"header_timeout_s": settings.header_read_timeout_s},
    )


def serve(
    app: Any,
    settings: Settings,
    *,
    host: str,
    port: int,
    log_level: str,
    log_config: dict[str, Any] | None = None,
    workers: int = 1,
) -> None:
    """Run ``app`` under uvicorn with laotie's connection limits and timeouts and an access log
    (one line a request, in ``log_config``'s format when given).

    With ``workers`` > 1, ``app`` is ignored: uvicorn spawns that many processes on one socket
    and each builds its own app with ``laotie.api.workers.create_served_app``."""
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": log_level,
        "log_config": log_config if log_config is not None else uvicorn.config.LOGGING_CONFIG,
        "access_log": True,
        "timeout_keep_alive": KEEP_ALIVE_S,
        "h11_max_incomplete_event_size": 64 * 1024,
    }
    if workers > 1:
        uvicorn.run(
            "laotie.api.workers:create_served_app",
            factory=True,
            workers=workers,
            http="laotie.api.workers:Protocol",
            # a worker builds its services (and loads the feed model) before it answers the
            # supervisor's health check: uvicorn's 5 s would kill it on a busy machine
            timeout_worker_healthcheck=WORKER_START_S,
            **options,
        )
    else:
        uvicorn.run(app, http=protocol_for(settings), **options)
