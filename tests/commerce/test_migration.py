"""The commerce migration keeps a populated ledger intact while ``ad_journal`` is rebuilt."""

from alembic import command
from alembic.config import Config

from laotie.store.db import MIGRATIONS_DIR, Database


def test_existing_ledger_survives_the_commerce_migration(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002_ads")
        command.upgrade(config, "0006_events_lean")
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO ad_advertisers (id, external_id, name, balance_fen, created_at_ms)"
            " VALUES (1, 'a', 'A', 500, 0)"
        )
        connection.exec_driver_sql(
            "INSERT INTO ad_journal (id, txn_key, kind, advertiser_id, amount_fen, day, ts_ms)"
            " VALUES (1, 't', 'topup', 1, 500, '2026-01-01', 0)"
        )
        connection.exec_driver_sql(
            "INSERT INTO ad_postings (journal_id, account, amount_fen)"
            " VALUES (1, 'platform:cash', 500), (1, 'advertiser:1', -500)"
        )
    db.migrate()
    with db.engine.connect() as connection:
        postings = connection.exec_driver_sql(
            "SELECT journal_id, account, amount_fen FROM ad_postings ORDER BY id"
        ).all()
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        connection.exec_driver_sql(
            "INSERT INTO ad_journal (txn_key, kind, advertiser_id, amount_fen, day, ts_ms)"
            " VALUES ('c', 'gift', NULL, 10, '2026-01-01', 0)"
        )
    db.dispose()
    assert postings == [(1, "platform:cash", 500), (1, "advertiser:1", -500)]
