from laotie.store.db import Database


def test_migrations_create_the_foundation_tables_and_are_idempotent(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.migrate()
    db.migrate()
    tables = set(db.table_names())
    assert {
        "users",
        "creators",
        "series",
        "novels",
        "items",
        "follows",
        "api_keys",
        "events",
        "lake_parts",
    } <= tables
    with db.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    db.dispose()
