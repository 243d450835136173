"""Alembic environment: runs on the connection laotie hands it (see ``Database.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from laotie.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run migrations online on the given connection, or on a new engine from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("connection_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("migrations need a connection or sqlalchemy.url in alembic.ini")
    engine = create_engine(url)
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run()
