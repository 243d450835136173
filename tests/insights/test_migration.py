"""The insights migration creates exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from laotie.store.db import Database
from laotie.store.tables import Base

INSIGHTS_TABLES = {
    "insights_consent_log",
    "insights_digests",
    "insights_jobs",
    "insights_members",
    "insights_orgs",
    "insights_teams",
}


def test_migrate_creates_the_insights_tables_matching_the_models(tmp_path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.migrate()
    assert set(db.table_names()) >= INSIGHTS_TABLES
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "insights_" in str(d)] == []
    db.dispose()
