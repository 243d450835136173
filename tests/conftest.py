"""Fixtures shared by every area: a temporary home, its services, an API client and keys."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from multiprocessing.context import SpawnContext
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.servers.postgres import TEMPLATE, PostgresServer, Unavailable
from tests.servers.redis import RedisServer

from laotie.api import create_app
from laotie.cli._common import use_home
from laotie.core.live import LiveState
from laotie.core.settings import Settings, load_settings
from laotie.store.live import open_live_state
from laotie.store.repos import access
from laotie.wiring import Services, build_services

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


@pytest.fixture(autouse=True)
def _command_line_home() -> Iterator[None]:
    """A CLI test's ``--home`` is forgotten after it, as it is when its process exits."""
    yield
    use_home(None)


@pytest.fixture
def shared_data() -> Path:
    """The reference data folder next to the repo; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA.resolve()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_backends`` run once on SQLite and once on PostgreSQL."""
    if "database_backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker(
        "both_backends"
    ):
        metafunc.parametrize("database_backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session, with a migrated template database;
    skips the test (saying why) where the server cannot be started."""
    try:
        server = PostgresServer.start()
    except Unavailable as exc:
        pytest.skip(str(exc))
    try:
        server.create_template()
        yield server
    finally:
        server.stop()


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """``postgresql`` or ``sqlite`` for tests marked ``both_backends``; otherwise
    ``LAOTIE_TEST_DATABASE`` (default ``sqlite``), so the whole suite can run on PostgreSQL."""
    return str(getattr(request, "param", os.environ.get("LAOTIE_TEST_DATABASE", "sqlite")))


@pytest.fixture
def database_url(database_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated-or-empty database: a SQLite file, or a new PostgreSQL database."""
    if database_backend == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.create_database(template=TEMPLATE)
    return f"sqlite:///{tmp_path / 'home' / 'laotie.db'}"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Settings:
    """Settings on a fresh home in a temporary directory (a real SQLite file, or PostgreSQL
    for tests marked ``both_backends``)."""
    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAOTIE_HOME", str(tmp_path / "home"))
    if database_url.startswith("postgresql"):
        monkeypatch.setenv("LAOTIE_DATABASE_URL", database_url)
        return load_settings(home=tmp_path / "home", database_url=database_url)
    return load_settings(home=tmp_path / "home")


@pytest.fixture
def services(settings: Settings) -> Iterator[Services]:
    """Every service built on the temporary home, migrations applied."""
    built = build_services(settings)
    yield built
    built.close()


@pytest.fixture
def client(services: Services) -> Iterator[TestClient]:
    """An HTTP client for the API on the temporary home."""
    with TestClient(create_app(services)) as test_client:
        yield test_client


def _headers(services: Services, role: str, scope: str | None = None) -> dict[str, str]:
    with services.db.session() as session:
        key, _ = access.create_key(session, role=role, scope=scope)
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_headers(services: Services) -> Callable[..., dict[str, str]]:
    """A factory: ``make_headers(role, scope=None)`` -> headers of a new key."""
    return lambda role, scope=None: _headers(services, role, scope)


@pytest.fixture
def admin_headers(services: Services) -> dict[str, str]:
    """Authorization headers of an admin key."""
    return _headers(services, "admin")


@pytest.fixture
def app_headers(services: Services) -> dict[str, str]:
    """Authorization headers of an app key (ingest events, read feeds)."""
    return _headers(services, "app")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server on loopback for the session; skips where it is not installed."""
    reason = RedisServer.missing_reason()
    if reason:
        pytest.skip(reason)
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an emptied real Redis server (``redis://127.0.0.1:<port>/0``)."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture
def spawn(monkeypatch: pytest.MonkeyPatch) -> SpawnContext:
    """A multiprocessing context whose children start fresh interpreters (no forked locks or
    threads). The ``pytest`` launcher script runs tests when imported, so the children are
    told not to re-import the parent's main module."""
    main = sys.modules["__main__"]
    monkeypatch.setattr(main, "__spec__", None, raising=False)
    monkeypatch.delattr(main, "__file__", raising=False)
    return multiprocessing.get_context("spawn")


@pytest.fixture(params=["memory", "redis"])
def live(request: pytest.FixtureRequest) -> Iterator[LiveState]:
    """Each ``LiveState`` implementation in turn: in process, then on a real Redis server."""
    url = "" if request.param == "memory" else request.getfixturevalue("redis_url")
    state = open_live_state(url)
    yield state
    state.close()
