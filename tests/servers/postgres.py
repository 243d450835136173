"""A real, throwaway PostgreSQL cluster on loopback for the tests (one per test session).

``PostgresServer.start`` runs Debian's ``initdb`` and ``pg_ctl`` in a temporary directory
(as the ``postgres`` OS user when the tests run as root: the server refuses root), listening
on 127.0.0.1 at a free port. Durability is switched off (``fsync=off``): the tests check
what the database guarantees between transactions, not that the disk keeps it. Every test
gets its own database, cloned from a migrated template in a few tens of milliseconds.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from itertools import count
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
TEMPLATE = "laotie_template"
_names = count()


class Unavailable(RuntimeError):
    """PostgreSQL cannot be started here (binaries or driver missing): the reason says which."""


def _binaries() -> Path:
    pg_bin = next((d for d in PG_BIN_DIRS if (d / "initdb").exists()), None)
    if pg_bin is None:
        raise Unavailable("PostgreSQL server binaries not installed (apt-get install postgresql)")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        raise Unavailable("running as root without runuser: the server cannot drop root")
    try:
        import psycopg  # noqa: F401 - only checks the driver is there
    except ImportError as exc:
        raise Unavailable("the psycopg driver is not installed") from exc
    return pg_bin


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class PostgresServer:
    """A running cluster: its binaries, data directory and port; a superuser ``laotie``."""

    pg_bin: Path
    root: Path
    port: int

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb + pg_ctl start in a new temporary directory; Unavailable when it cannot."""
        pg_bin = _binaries()
        # pytest's private tmp dirs are closed to the postgres user: use a directory of its own
        root = Path(tempfile.mkdtemp(prefix="laotie-pg-"))
        data = root / "data"
        data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
            shutil.chown(data, "postgres")
        server = cls(pg_bin, root, _free_port())
        server._run("initdb", "-D", str(data), "-U", "laotie", "--auth=trust", "--no-sync")
        options = (
            f"-h 127.0.0.1 -p {server.port} -k {data} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        # -l: the server must not inherit our pipes, or waiting for pg_ctl never ends
        log = str(root / "log")
        server._run("pg_ctl", "-D", str(data), "-o", options, "-l", log, "-w", "start")
        return server

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            _as_postgres(str(self.pg_bin / tool), *args),
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")

    def url(self, database: str = "postgres") -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        return f"postgresql+psycopg://laotie@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=laotie dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(statement)

    def create_database(self, *, template: str | None = None) -> str:
        """A new empty database (or a copy of ``template``); its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        clause = f" TEMPLATE {template}" if template else ""
        self._admin(f"CREATE DATABASE {name}{clause}")
        return self.url(name)

    def create_template(self) -> None:
        """Create the migrated template database that ``create_database`` clones."""
        from laotie.store.db import Database

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.url(TEMPLATE))
        db.migrate()
        db.dispose()

    def stop(self) -> None:
        """Stop the server at once and remove its directory."""
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
