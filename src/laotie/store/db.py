"""Database engine, sessions and migrations (SQLite WAL by default, PostgreSQL by URL)."""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from laotie.core.errors import LaotieError

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: SQLSTATEs of a PostgreSQL transaction aborted to settle a race with another one
#: (serialization_failure, deadlock_detected): running it again is safe
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
T = TypeVar("T")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: a commit is fsynced to the WAL, so an acknowledged event survives power loss.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def _private(path: Path) -> None:
    """Create the database file readable by its owner only (SQLite gives its WAL and shared
    memory files the same mode): it holds emails and key hashes."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(descriptor)
    os.chmod(path, 0o600)


def insert_ignoring_duplicates(table: Any, *, dialect: str) -> Any:
    """An INSERT into ``table`` that skips rows whose unique key already exists (``INSERT OR
    IGNORE`` on SQLite, ``ON CONFLICT DO NOTHING`` on PostgreSQL); ``dialect`` names the engine."""
    return (sqlite if dialect == "sqlite" else postgresql).insert(table).on_conflict_do_nothing()


class Database:
    """One database: an engine, a session factory and the migration runner."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split(":///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                _private(Path(path))
        self.engine: Engine = create_engine(url, future=True)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def retrying(self, work: Callable[[], T], *, attempts: int = 5) -> T:
        """Run ``work`` (which opens its own transactions) again when the database aborted it
        to settle a race with a concurrent transaction; other errors pass through."""
        for attempt in range(1, attempts):
            try:
                return work()
            except DBAPIError as exc:
                sqlstate = getattr(exc.orig, "sqlstate", None)
                if sqlstate not in RETRYABLE_SQLSTATES:
                    raise
                log.info("transaction aborted (%s), attempt %d of %d", sqlstate, attempt, attempts)
                time.sleep(random.uniform(0, 0.01 * 2**attempt))  # jitter: not in step again
        return work()

    def migrate(self) -> None:
        """Apply every pending Alembic migration (all area branches: ``upgrade heads``)."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection_url"] = self.url
        try:
            with self.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
            if current == set(ScriptDirectory.from_config(config).get_heads()):
                return
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "heads")
        except SQLAlchemyError as exc:
            raise LaotieError(f"database migration failed on {self.url}: {exc}") from exc

    def insert_ignoring_duplicates(self, table: Any) -> Any:
        """An INSERT into ``table`` that skips rows whose unique key exists (on either engine)."""
        return insert_ignoring_duplicates(table, dialect=self.engine.dialect.name)

    def table_names(self) -> list[str]:
        """Names of the tables that exist in the database."""
        return sorted(inspect(self.engine).get_table_names())

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
