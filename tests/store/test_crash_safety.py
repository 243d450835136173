"""SIGKILL a real ``laotie serve`` while it ingests: every acknowledged event survives, once."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from laotie.api import create_app
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.store.repos import access, catalog
from laotie.wiring import build_services

BATCH = 2_000
T0 = 1_795_900_000_000
SERVE = "from laotie.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _batch(number: int) -> list[dict]:
    return [
        {
            "id": f"b{number}-{i}",
            "type": "watch" if i % 2 else "impression",
            "user_id": f"u{(number * BATCH + i) % 500}",
            "item_id": f"i{i % 10}",
            "ts_ms": T0 + number * BATCH + i,
            "watch_ms": 1_000,
            "duration_ms": 2_000,
        }
        for i in range(BATCH)
    ]


def _body(number: int) -> bytes:
    return json.dumps(_batch(number)).encode()


class Server:
    """A ``laotie serve`` subprocess on a free loopback port."""

    def __init__(self, home: Path, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LAOTIE_HOME": str(home), "LAOTIE_LOG_LEVEL": "WARNING"}
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVE, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("laotie serve did not start within 60 s")

    def stop(self, sig: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self.log.close()


def _stored(db_path: Path) -> dict[str, int]:
    """client event id -> how many rows hold it, read straight from the SQLite file."""
    connection = sqlite3.connect(db_path)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = connection.execute("SELECT client_event_id, count(*) FROM events GROUP BY 1")
        return dict(rows.fetchall())
    finally:
        connection.close()


@pytest.fixture
def home(settings):
    services = build_services(settings)
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="c"))
        catalog.bulk_create_items(
            session,
            items=[
                ItemCreate(id=f"i{i}", kind="video", creator_id="c1", title="t") for i in range(10)
            ],
        )
        key, _ = access.create_key(session, role="app")
    services.close()
    return settings.home, key


def test_sigkill_mid_ingest_loses_no_acknowledged_event(home, settings, tmp_path):
    root, key = home
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    acknowledged: list[int] = []
    attempted: list[int] = []
    server = Server(root, tmp_path / "serve.log")

    def send() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=30) as http:
            for number in range(1_000):
                body = _body(number)
                attempted.append(number)
                try:
                    response = http.post("/v1/events", content=body)
                except httpx.TransportError:
                    return  # the server died under this request: it was never acknowledged
                result = response.json()
                assert response.status_code == 200, result
                assert result["accepted"] + result["duplicate"] == BATCH, result
                acknowledged.append(number)

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    # kill while the next batch is on its way in or being written
    while len(attempted) <= len(acknowledged) and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(0.02)
    server.stop(signal.SIGKILL)
    sender.join(timeout=60)
    assert len(acknowledged) >= 3
    assert len(attempted) > len(acknowledged), "the kill should interrupt a request"

    stored = _stored(root / "laotie.db")
    for number in acknowledged:
        for event in _batch(number):
            assert stored.get(event["id"]) == 1, f"acknowledged event {event['id']} lost"
    assert set(stored.values()) == {1}
    # the killed request left no half batch: it is either wholly there or wholly absent
    in_flight = attempted[-1]
    present = sum(1 for e in _batch(in_flight) if e["id"] in stored)
    assert present in (0, BATCH)

    # after a restart (in this process: the same app on the same files) the client retries the
    # unacknowledged batch and, by mistake, an old one
    services = build_services(settings)
    try:
        with TestClient(create_app(services)) as http:
            retry = http.post("/v1/events", content=_body(in_flight), headers=headers).json()
            assert retry["accepted"] + retry["duplicate"] == BATCH
            assert retry["accepted"] == BATCH - present
            old = http.post("/v1/events", content=_body(acknowledged[0]), headers=headers).json()
            assert (old["accepted"], old["duplicate"]) == (0, BATCH)
    finally:
        services.close()
    stored = _stored(root / "laotie.db")
    assert set(stored.values()) == {1}
    assert len(stored) == BATCH * (len(acknowledged) + 1)
