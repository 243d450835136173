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


def test_migrations_build_exactly_the_tables_the_code_declares(tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from laotie.store.tables import Base

    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.migrate()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, Base.metadata)
    db.dispose()
    # alembic's own bookkeeping table is the only thing the code does not declare
    assert [d for d in differences if "alembic_version" not in str(d)] == []
