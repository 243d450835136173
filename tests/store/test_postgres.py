"""The store on a real, throwaway PostgreSQL server (skipped where PostgreSQL is not installed)."""

import polars as pl
import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import load_settings
from laotie.store.repos import catalog
from laotie.wiring import build_services


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
            items = catalog.items_frame(s)
            columns = catalog.item_columns_frame(s, {"id": items["id"].dtype, "title": pl.Utf8})
        assert items.height == 3 and items["tags"].to_list() == [[], [], []]
        assert columns.equals(items.select("id", "title"))
    finally:
        services.close()
