"""``laotie serve --workers 2``: two API processes on one port and one database (a SQLite
file, and a real PostgreSQL); a SIGKILLed worker is replaced and no acknowledged event is lost
or stored twice."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import Settings
from laotie.store.repos import access, catalog
from laotie.store.tables import Event
from laotie.wiring import build_services

from .test_serving import Process, _free_port

# each worker imports laotie and builds its services: over a minute on a busy 2-core machine
pytestmark = [pytest.mark.both_backends, pytest.mark.slow, pytest.mark.servers]

WORKERS = 2
BATCHES = 40
BATCH = 50
T0 = 1_795_900_000_000


def _batch(number: int) -> bytes:
    return json.dumps(
        [
            {
                "id": f"b{number}-{i}",
                "type": "watch",
                "user_id": f"u{number % 7}-{i % 5}",
                "item_id": f"i{i % 4}",
                "ts_ms": T0 + number * BATCH + i,
                "watch_ms": 1_000,
                "duration_ms": 2_000,
            }
            for i in range(BATCH)
        ]
    ).encode()


def _workers(server: psutil.Process) -> set[int]:
    """Pids of uvicorn's worker processes (spawned children; not the resource tracker)."""
    pids = set()
    for child in server.children():
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                pids.add(child.pid)
        except psutil.Error:  # a killed worker, not yet reaped
            continue
    return pids


def _wait_for_workers(server: psutil.Process, *, other_than: set[int], log: Process) -> set[int]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        pids = _workers(server)
        if len(pids) == WORKERS and not pids & other_than:
            return pids
        time.sleep(0.2)
    raise AssertionError(
        f"workers never became {WORKERS} new processes: {_workers(server)}\n{log.output[-3000:]}"
    )


def _post(url: str, key: str, number: int) -> dict:
    # a new connection a request, so the kernel spreads them over the workers
    response = httpx.post(
        f"{url}/v1/events",
        content=_batch(number),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_two_workers_share_the_database_and_survive_a_sigkill(settings: Settings, tmp_path: Path):
    services = build_services(settings)
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="c"))
        catalog.bulk_create_items(
            session,
            items=[
                ItemCreate(id=f"i{i}", kind="video", creator_id="c1", title="t") for i in range(4)
            ],
        )
        key, _ = access.create_key(session, role="app")
    services.close()

    port = _free_port()
    env = {"LAOTIE_PORT": str(port), "LAOTIE_LOG_LEVEL": "INFO"}
    server = Process(["serve", "--host", "127.0.0.1", "--workers", str(WORKERS)], env)
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_for(rf"{WORKERS} worker processes", timeout_s=60)
        supervisor = psutil.Process(server.process.pid)
        first = _wait_for_workers(supervisor, other_than=set(), log=server)
        server.wait_for("(?s)(Application startup complete.*){2}", timeout_s=90)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda n: _post(url, key, n), range(BATCHES // 2)))
        assert sum(r["accepted"] for r in results) == BATCHES // 2 * BATCH

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        replaced = _wait_for_workers(supervisor, other_than={victim}, log=server)
        assert victim not in replaced and len(replaced & first) == WORKERS - 1
        server.wait_for("(?s)(Application startup complete.*){3}", timeout_s=90)
        with ThreadPoolExecutor(8) as pool:
            # the rest, and every batch again (a client retrying): the second copies are duplicates
            results = list(
                pool.map(lambda n: _post(url, key, n % BATCHES), range(BATCHES // 2, BATCHES * 2))
            )
        assert sum(r["accepted"] for r in results) == BATCHES // 2 * BATCH
        assert sum(r["duplicate"] for r in results) == BATCHES * BATCH
    finally:
        server.stop()

    services = build_services(settings)
    try:
        with services.db.session() as session:
            rows = session.execute(
                select(func.count(), func.count(func.distinct(Event.client_event_id)))
            ).one()
    finally:
        services.close()
    assert tuple(rows) == (BATCHES * BATCH, BATCHES * BATCH)
