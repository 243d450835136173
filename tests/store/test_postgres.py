"""The store on a real, throwaway PostgreSQL cluster (skipped where PostgreSQL is not installed)."""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import load_settings
from laotie.store.repos import catalog
from laotie.wiring import build_services

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture
def postgres_url():
    pytest.importorskip("psycopg")
    initdb = PG_BIN / "initdb"
    if not initdb.exists() or (os.geteuid() == 0 and not shutil.which("runuser")):
        pytest.skip("PostgreSQL 15 server binaries not installed")
    # the server refuses to run as root and cannot enter pytest's private tmp dirs
    root = Path(tempfile.mkdtemp(prefix="laotie-pg-"))
    data = root / "pg"
    data.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(data, "postgres")
    port = _free_port()
    subprocess.run(
        _as_postgres(str(initdb), "-D", str(data), "-U", "laotie", "--auth=trust", "--no-sync"),
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {port} -k {data} -c fsync=off"
    # -l: the server must not inherit our pipes, or waiting for pg_ctl never ends
    subprocess.run(
        _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )
    try:
        subprocess.run(
            _as_postgres(
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "laotie",
                "laotie",
            ),
            check=True,
            capture_output=True,
        )
        yield f"postgresql+psycopg://laotie@127.0.0.1:{port}/laotie"
    finally:
        subprocess.run(
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True,
        )


def test_store_and_event_log_on_postgres(postgres_url, tmp_path):
    services = build_services(load_settings(home=tmp_path / "home", database_url=postgres_url))
    try:
        with services.db.session() as s:
            catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
            catalog.bulk_create_items(
                s,
                items=[
                    ItemCreate(id=f"i{i}", kind="video", creator_id="c1", title="t")
                    for i in range(3)
                ],
            )
        events = [
            {
                "id": f"e{n}",
                "type": "watch",
                "user_id": "u1",
                "item_id": f"i{n % 3}",
                "ts_ms": 1_795_900_000_000 + n,
                "watch_ms": 5,
                "duration_ms": 9,
            }
            for n in range(6)
        ]
        first = services.events.ingest([*events, events[0] | {"id": "bad", "item_id": "zz"}])
        assert (first.accepted, first.rejected) == (6, 1)
        again = services.events.ingest(events)
        assert (again.accepted, again.duplicate) == (0, 6)
        frame = services.lake.read(types=["watch"], start_ms=1_795_900_000_002)
        assert frame.height == 4
        with services.db.session() as s:
            assert catalog.list_items(s, limit=2).next_cursor is not None
            items = catalog.items_frame(s)
            columns = catalog.item_columns_frame(s, {"id": items["id"].dtype, "title": pl.Utf8})
        assert items.height == 3 and items["tags"].to_list() == [[], [], []]
        assert columns.equals(items.select("id", "title"))
    finally:
        services.close()
