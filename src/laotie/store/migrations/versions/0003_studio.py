"""studio tables: jobs

Revision ID: 0003_studio
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_studio"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("studio",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "studio_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("started_at_ms", sa.BigInteger(), nullable=True),
        sa.Column("finished_at_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_studio_jobs")),
        sa.UniqueConstraint("external_id", name=op.f("uq_studio_jobs_external_id")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_studio_jobs_idempotency_key")),
    )
    op.create_index(
        "ix_studio_jobs_status", "studio_jobs", ["status", "created_at_ms"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_studio_jobs_status", table_name="studio_jobs")
    op.drop_table("studio_jobs")
