"""The store on a real, throwaway PostgreSQL server (skipped where PostgreSQL is not installed)."""

import os
import threading

import polars as pl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import load_settings
from laotie.store.db import Database
from laotie.store.repos import catalog, catalog_frames, ledger
from laotie.store.tables import AdJournal, Event, StoreMeta
from laotie.wiring import build_services

runner = CliRunner()


@pytest.fixture
def postgres_url(postgres_server):
    """A new, empty database on the session's server (migrations run by the test)."""
    return postgres_server.create_database()


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
            items = catalog_frames.items_frame(s)
            columns = catalog_frames.item_columns_frame(
                s, {"id": items["id"].dtype, "title": pl.Utf8}
            )
        assert items.height == 3 and items["tags"].to_list() == [[], [], []]
        assert columns.equals(items.select("id", "title"))
    finally:
        services.close()


def test_the_demo_runs_on_postgres(postgres_url, tmp_path, monkeypatch):
    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAOTIE_DATABASE_URL", postgres_url)
    home = tmp_path / "h"
    result = runner.invoke(
        app, ["--home", str(home), "demo", "--no-serve", "--users", "10", "--items", "30"]
    )
    assert result.exit_code == 0, result.output
    assert not (home / "laotie.db").exists()  # everything went to PostgreSQL
    db = Database(postgres_url)
    try:
        with db.session() as session:
            events = session.scalar(select(func.count()).select_from(Event))
            journals = session.scalar(select(func.count()).select_from(AdJournal))
            assert ledger.unbalanced_journals(session) == []
    finally:
        db.dispose()
    assert events > 100 and journals > 0
    out = tmp_path / "events.csv"
    exported = runner.invoke(app, ["--home", str(home), "events", "export", str(out)])
    assert exported.exit_code == 0 and out.read_text().count("\n") > 100


def test_a_deadlocked_transaction_is_run_again(postgres_url):
    """Two transactions insert the same two keys in crossed orders: PostgreSQL aborts one
    (deadlock_detected), and ``Database.retrying`` runs it again to success."""
    db = Database(postgres_url)
    db.migrate()
    both_hold_their_first = threading.Barrier(2)
    attempts: list[str] = []
    errors: list[BaseException] = []

    def crossed(first: str, second: str) -> None:
        def attempt() -> None:
            attempts.append(first)
            with db.session() as session:
                statement = db.insert_ignoring_duplicates(StoreMeta)
                session.execute(statement, [{"key": first, "value": first}])
                if attempts.count(first) == 1:
                    both_hold_their_first.wait(timeout=30)
                session.execute(statement, [{"key": second, "value": first}])

        try:
            db.retrying(attempt)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [
        threading.Thread(target=crossed, args=("a", "b")),
        threading.Thread(target=crossed, args=("b", "a")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert errors == []
        assert len(attempts) == 3  # one of the two ran twice
        with db.session() as session:
            assert set(session.scalars(select(StoreMeta.key))) >= {"a", "b"}
    finally:
        db.dispose()
