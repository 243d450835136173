"""ads tables: advertisers, campaigns, creatives, ledger journal and postings, outcomes

Revision ID: 0002_ads
Revises: 0001_foundation
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_ads"
down_revision: str | Sequence[str] | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = ("ads",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ad_advertisers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("balance_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_advertisers")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ad_advertisers_external_id")),
    )
    op.create_table(
        "ad_campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("advertiser_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("objective", sa.String(length=16), nullable=False),
        sa.Column("bid_fen", sa.BigInteger(), nullable=False),
        sa.Column("daily_budget_fen", sa.BigInteger(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("targeting", sa.JSON(), nullable=False),
        sa.Column("frequency_cap", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cpm_carry_millifen", sa.BigInteger(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"],
            ["ad_advertisers.id"],
            name=op.f("fk_ad_campaigns_advertiser_id_ad_advertisers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_campaigns")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ad_campaigns_external_id")),
    )
    op.create_index("ix_ad_campaigns_advertiser", "ad_campaigns", ["advertiser_id"])
    op.create_table(
        "ad_creatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assets", sa.JSON(), nullable=False),
        sa.Column("landing_url", sa.String(length=2000), nullable=False),
        sa.Column("aigc", sa.Boolean(), nullable=False),
        sa.Column("aigc_labels", sa.JSON(), nullable=False),
        sa.Column("variant", sa.JSON(), nullable=False),
        sa.Column("created_at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["ad_campaigns.id"],
            name=op.f("fk_ad_creatives_campaign_id_ad_campaigns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_creatives")),
        sa.UniqueConstraint("external_id", name=op.f("uq_ad_creatives_external_id")),
    )
    op.create_index("ix_ad_creatives_campaign", "ad_creatives", ["campaign_id"])
    op.create_table(
        "ad_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("advertiser_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=True),
        sa.Column("creative_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["advertiser_id"],
            ["ad_advertisers.id"],
            name=op.f("fk_ad_journal_advertiser_id_ad_advertisers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_journal")),
        sa.UniqueConstraint("txn_key", name=op.f("uq_ad_journal_txn_key")),
    )
    op.create_index("ix_ad_journal_advertiser_day", "ad_journal", ["advertiser_id", "day"])
    op.create_table(
        "ad_postings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["journal_id"], ["ad_journal.id"], name=op.f("fk_ad_postings_journal_id_ad_journal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_postings")),
    )
    op.create_index("ix_ad_postings_account", "ad_postings", ["account"])
    op.create_table(
        "ad_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("impression_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("advertiser_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("creative_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=32), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("interest_match", sa.Boolean(), nullable=False),
        sa.Column("price_millifen", sa.BigInteger(), nullable=False),
        sa.Column("click_price_fen", sa.BigInteger(), nullable=False),
        sa.Column("pctr", sa.Float(), nullable=False),
        sa.Column("pcvr", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ad_outcomes")),
        sa.UniqueConstraint("kind", "impression_id", name="uq_ad_outcomes_kind_impression"),
    )
    op.create_index("ix_ad_outcomes_campaign_day", "ad_outcomes", ["campaign_id", "day"])
    op.create_index("ix_ad_outcomes_day", "ad_outcomes", ["day"])


def downgrade() -> None:
    op.drop_index("ix_ad_outcomes_day", table_name="ad_outcomes")
    op.drop_index("ix_ad_outcomes_campaign_day", table_name="ad_outcomes")
    op.drop_table("ad_outcomes")
    op.drop_index("ix_ad_postings_account", table_name="ad_postings")
    op.drop_table("ad_postings")
    op.drop_index("ix_ad_journal_advertiser_day", table_name="ad_journal")
    op.drop_table("ad_journal")
    op.drop_index("ix_ad_creatives_campaign", table_name="ad_creatives")
    op.drop_table("ad_creatives")
    op.drop_index("ix_ad_campaigns_advertiser", table_name="ad_campaigns")
    op.drop_table("ad_campaigns")
    op.drop_table("ad_advertisers")
