"""events: drop the (user_id, ts_ms) index no query reads

Every ingested event paid for it (a random-order B-tree insert per event); per-user reads go
through the lake and the feed's user state, never through this index.

Revision ID: 0006_events_lean
Revises: 0001_foundation
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_events_lean"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_events_user_ts", table_name="events")


def downgrade() -> None:
    op.create_index("ix_events_user_ts", "events", ["user_id", "ts_ms"], unique=False)
