"""trust tables: gate decisions and fingerprints

Revision ID: 0004_trust
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_trust"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("trust",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trust_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("aigc_status", sa.String(length=16), nullable=False),
        sa.Column("label_found", sa.JSON(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.Column("review_state", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_trust_records_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["items.id"], name=op.f("fk_trust_records_duplicate_of_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trust_records")),
        sa.UniqueConstraint("item_id", name=op.f("uq_trust_records_item_id")),
    )
    with op.batch_alter_table("trust_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trust_records_review", ["review_state", "created_at_ms"], unique=False
        )
    op.create_table(
        "trust_fingerprints",
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=True),
        sa.Column("simhash", sa.BigInteger(), nullable=True),
        sa.Column("phashes", sa.JSON(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_trust_fingerprints_item_id_items")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_trust_fingerprints")),
    )


def downgrade() -> None:
    op.drop_table("trust_fingerprints")
    with op.batch_alter_table("trust_records", schema=None) as batch_op:
        batch_op.drop_index("ix_trust_records_review")
    op.drop_table("trust_records")
