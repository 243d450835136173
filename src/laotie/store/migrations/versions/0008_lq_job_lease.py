"""studio jobs: a lease and a worker name, so a job whose worker died is claimed again

Revision ID: 0008_lq_job_lease
Revises: 0003_studio
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_lq_job_lease"
down_revision: str | Sequence[str] | None = "0003_studio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("studio_jobs") as batch:
        batch.add_column(sa.Column("lease_until_ms", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("worker", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("studio_jobs") as batch:
        batch.drop_column("worker")
        batch.drop_column("lease_until_ms")
