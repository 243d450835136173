"""A lean HTTP/1.1 load generator for the benchmarks: keep-alive connections on asyncio streams.

The benchmarks run client and server on the same small machine, so every CPU-millisecond the
client spends is taken from the server it measures. A general-purpose client (httpx) costs
about 2.5 ms of CPU per request; this one writes the request bytes and reads the status line,
the headers and a ``Content-Length`` body, about a tenth of that. Each response body is still
parsed and checked by the caller's ``check``.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

#: a response body's check: True when the body is what a good answer looks like
Check = Callable[[Any], bool]


@dataclass
class LoadResult:
    """Latencies (seconds) of the timed requests, failures, and the wall time they took."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed_s: float = 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection sending requests one after another."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, base: str) -> Connection:
        """Connect to ``base`` (``http://host:port``)."""
        parts = urlsplit(base)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    async def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        """Send one request; returns the status code and the body."""
        lines = [f"{method} {target} HTTP/1.1", "Host: bench"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        length = 0
        for line in header_lines:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        """Close the connection."""
        self.writer.close()


async def run_load(
    base: str,
    targets: Callable[[int], str],
    *,
    headers: dict[str, str],
    seconds: float,
    concurrency: int,
    check: Check,
    warmup_s: float = 0.0,
    reconnect_every: int = 20,
) -> LoadResult:
    """GET ``targets(i)`` from ``concurrency`` connections for ``seconds``.

    ``warmup_s`` seconds of the same load go first and are not timed, so that every server
    process has loaded what it serves (they load lazily) before the clock starts. A request
    fails when its status is not 200 or its JSON body does not pass ``check``. Each connection
    is replaced every ``reconnect_every`` requests, as clients come and go: with several server
    processes on one listening socket, a fixed set of keep-alive connections stays wherever the
    accept race put it (we saw 14 on one process and 2 on the other), while new connections go
    to the process that is free to accept them.
    """
    connections = [await Connection.open(base) for _ in range(concurrency)]
    result = LoadResult()
    counter = iter(range(1 << 62))

    async def one(connection: Connection, timed: bool) -> None:
        started = time.perf_counter()
        try:
            status, body = await connection.request("GET", targets(next(counter)), headers)
            ok = status == 200 and check(json.loads(body))
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        if timed:
            result.latencies.append(time.perf_counter() - started)
            result.errors += not ok

    async def worker(slot: int, stop: float, timed: bool) -> None:
        sent = 0
        while time.perf_counter() < stop:
            if reconnect_every and sent and sent % reconnect_every == 0:
                connections[slot].close()
                connections[slot] = await Connection.open(base)
            await one(connections[slot], timed=timed)
            sent += 1

    try:
        if warmup_s > 0:
            stop = time.perf_counter() + warmup_s
            await asyncio.gather(*(worker(slot, stop, False) for slot in range(concurrency)))
        started = time.perf_counter()
        stop = started + seconds
        await asyncio.gather(*(worker(slot, stop, True) for slot in range(concurrency)))
        result.elapsed_s = time.perf_counter() - started
    finally:
        for connection in connections:
            connection.close()
    return result
