"""Limits on a real ``laotie serve`` process: hostile bodies leave its memory flat and honest
ingest fast; slow headers are cut off. Slow: it starts a server and sends gigabytes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from laotie.core.settings import load_settings
from laotie.store.repos import access
from laotie.wiring import build_services

pytestmark = pytest.mark.slow
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str, int]]:
    """A ``laotie serve`` process on a fresh home: (base URL, an app key, its pid)."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAOTIE_")}
    env |= {"LAOTIE_HOME": str(home), "LAOTIE_HEADER_READ_TIMEOUT_S": "1"}
    services = build_services(load_settings(home=home))
    with services.db.session() as session:
        key, _ = access.create_key(session, role="app")
        admin, _ = access.create_key(session, role="admin")
    services.close()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", "from laotie.cli import main; main()", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {admin}"}
        httpx.post(f"{base}/v1/creators", json={"id": "c1", "name": "c"}, headers=headers)
        item = {"id": "i1", "kind": "video", "creator_id": "c1", "title": "t"}
        httpx.post(f"{base}/v1/items", json=item, headers=headers)
        yield base, key, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def _chunks(total: int) -> Iterator[bytes]:
    block = b" " * MIB
    for _ in range(total // MIB):
        yield block


def _hostile(base: str, key: str, kind: str) -> int | str:
    headers = {"Authorization": f"Bearer {key}"}
    try:
        if kind == "declared":
            body: bytes | Iterator[bytes] = _chunks(500 * MIB)
            headers["Content-Length"] = str(500 * MIB)
        elif kind == "chunked":
            body = _chunks(500 * MIB)
        elif kind == "anonymous":
            body, headers = _chunks(500 * MIB), {}
        else:
            body = b"[" + b",".join([b"{}"] * 1_000_000) + b"]"
        answer = httpx.post(f"{base}/v1/events", content=body, headers=headers, timeout=120)
        return answer.status_code
    except httpx.TransportError as exc:  # the server may close while we still send
        return type(exc).__name__


def test_hostile_bodies_leave_memory_flat_and_ingest_fast(server) -> None:
    base, key, pid = server
    process = psutil.Process(pid)
    auth = {"Authorization": f"Bearer {key}"}
    warm = {"id": "warm-1", "type": "play", "user_id": "u0", "item_id": "i1"}
    warm["ts_ms"] = int(time.time() * 1000)
    assert httpx.post(f"{base}/v1/events", json=[warm], headers=auth).status_code == 200
    baseline = process.memory_info().rss  # after the ingest path has loaded what it uses
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    outcomes: dict[str, int | str] = {}
    kinds = ["declared", "chunked", "anonymous", "objects"] * 2
    workers = [
        threading.Thread(
            target=lambda k=k, n=n: outcomes.__setitem__(f"{k}{n}", _hostile(base, key, k))
        )
        for n, k in enumerate(kinds)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.5)
    event = {"id": "honest-1", "type": "play", "user_id": "u1", "item_id": "i1"}
    event["ts_ms"] = int(time.time() * 1000)
    started = time.perf_counter()
    honest = httpx.post(f"{base}/v1/events", json=[event], headers=auth, timeout=30)
    honest_s = time.perf_counter() - started
    for worker in workers:
        worker.join(timeout=300)
    done.set()
    sampler.join()
    growth_mb = (peak - baseline) / MIB
    print(f"RSS growth {growth_mb:.1f} MB, concurrent 1-event ingest {honest_s * 1000:.0f} ms")
    assert honest.status_code == 200 and honest.json()["accepted"] == 1
    assert honest_s < 1.0
    assert growth_mb < 100, outcomes
    assert all(v in (401, 413, 422) or isinstance(v, str) for v in outcomes.values()), outcomes
    assert outcomes["objects3"] == 422 and outcomes["anonymous2"] in (401, "WriteError")


def test_slow_headers_are_cut_off(server) -> None:
    base, _, _ = server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port)) as slow:
        slow.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        slow.settimeout(10)
        try:
            while time.monotonic() - started < 8:
                slow.sendall(b"X-Drip: 1\r\n")  # a header line every 0.2 s, never the end
                time.sleep(0.2)
            closed_after = None
        except OSError:
            closed_after = time.monotonic() - started
    assert closed_after is not None and closed_after < 5
