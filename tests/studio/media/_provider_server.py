"""A local HTTP server on 127.0.0.1 whose answers a test scripts per route.

Each route (method, path) maps to a function ``(request) -> (status, headers, body)``; every
request is recorded (method, path, query, headers, body) so a test can check the wire
format the client sent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


Answer = tuple[int, dict[str, str], bytes]
Route = Callable[[Seen], Answer]


def as_json(status: int, payload: Any) -> Answer:
    """A JSON answer."""
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def as_text(status: int, text: str) -> Answer:
    """A plain-text answer."""
    return status, {"Content-Type": "text/plain"}, text.encode()


@dataclass
class ProviderServer:
    """Routes, the requests seen, and the base URL once started."""

    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    base_url: str = ""

    def route(self, method: str, path: str, answer: Route) -> None:
        """Answer ``method path`` with ``answer``."""
        self.routes[(method, path)] = answer


def _handler(server: ProviderServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command,
                parts.path,
                {k: v[-1] for k, v in parse_qs(parts.query).items()},
                {k.lower(): v for k, v in self.headers.items()},
                self.rfile.read(length) if length else b"",
            )
            server.seen.append(seen)
            route = server.routes.get((self.command, parts.path))
            status, headers, body = route(seen) if route else as_text(404, "no such route")
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = _serve
        do_POST = _serve

        def log_message(self, *_args: Any) -> None:
            return None

    return Handler


@contextmanager
def provider_server() -> Iterator[ProviderServer]:
    """Start a scripted server on a free port; stop it afterwards."""
    state = ProviderServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
