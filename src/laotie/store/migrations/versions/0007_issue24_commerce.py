"""commerce tables (wallets, payments, paywalls, unlocks, live rooms, gifts, shops, products,
orders), and commerce transactions in the one ledger: ``ad_journal.advertiser_id`` may be empty

Revision ID: 0007_i24
Revises: 0006_events_lean
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_i24"
down_revision: str | Sequence[str] | None = "0006_events_lean"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0002_ads"


def _money(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.BigInteger(), nullable=nullable)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite rebuilds ad_journal (copy, drop, rename); dropping it while ad_postings rows
        # point at it breaks their foreign key, so the postings step aside meanwhile
        op.execute("CREATE TEMP TABLE held_postings AS SELECT * FROM ad_postings")
        op.execute("DELETE FROM ad_postings")
    with op.batch_alter_table("ad_journal") as batch:
        batch.alter_column("advertiser_id", existing_type=sa.Integer(), nullable=True)
    if sqlite:
        op.execute("INSERT INTO ad_postings SELECT * FROM held_postings")
        op.execute("DROP TABLE held_postings")
    op.create_table(
        "com_wallets",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        _money("balance_fen"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_com_wallets")),
    )
    op.create_table(
        "com_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("out_trade_no", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        _money("amount_fen"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        sa.Column("journal_id", sa.Integer(), nullable=True),
        _money("created_at_ms"),
        _money("paid_at_ms", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_payments")),
        sa.UniqueConstraint("out_trade_no", name=op.f("uq_com_payments_out_trade_no")),
    )
    op.create_table(
        "com_notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("out_trade_no", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        _money("received_at_ms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_notifications")),
        sa.UniqueConstraint("notification_id", name=op.f("uq_com_notifications_notification_id")),
    )
    op.create_table(
        "com_paywalls",
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("series.id"), nullable=False),
        sa.Column("free_episodes", sa.Integer(), nullable=False),
        _money("episode_price_fen"),
        _money("series_price_fen"),
        sa.PrimaryKeyConstraint("series_id", name=op.f("pk_com_paywalls")),
    )
    op.create_table(
        "com_unlocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("series_id", sa.Integer(), sa.ForeignKey("series.id"), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        _money("price_fen"),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=True),
        sa.Column("ad_impression_id", sa.String(128), nullable=True),
        _money("ts_ms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_unlocks")),
        sa.UniqueConstraint("ad_impression_id", name=op.f("uq_com_unlocks_ad_impression_id")),
        sa.UniqueConstraint("user_id", "scope", name="uq_com_unlocks_user_scope"),
    )
    op.create_table(
        "com_rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("creator_id", sa.Integer(), sa.ForeignKey("creators.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("category", sa.String(200), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("ai_host", sa.Boolean(), nullable=False),
        sa.Column("aigc_status", sa.String(16), nullable=False),
        sa.Column("viewers", sa.Integer(), nullable=False),
        sa.Column("peak_viewers", sa.Integer(), nullable=False),
        _money("started_at_ms"),
        _money("ended_at_ms", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_rooms")),
        sa.UniqueConstraint("external_id", name=op.f("uq_com_rooms_external_id")),
    )
    op.create_index("ix_com_rooms_status", "com_rooms", ["status"])
    op.create_table(
        "com_room_viewers",
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("com_rooms.id"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        _money("joined_at_ms"),
        sa.PrimaryKeyConstraint("room_id", "user_id", name=op.f("pk_com_room_viewers")),
    )
    op.create_table(
        "com_gifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("txn_key", sa.String(160), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("com_rooms.id"), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("gift", sa.String(32), nullable=False),
        _money("price_fen"),
        _money("creator_fen"),
        sa.Column("journal_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _money("ts_ms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_gifts")),
        sa.UniqueConstraint("txn_key", name=op.f("uq_com_gifts_txn_key")),
    )
    op.create_index("ix_com_gifts_room", "com_gifts", ["room_id"])
    op.create_table(
        "com_shops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column(
            "advertiser_id", sa.Integer(), sa.ForeignKey("ad_advertisers.id"), nullable=False
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("commission_bp", sa.Integer(), nullable=False),
        _money("created_at_ms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_shops")),
        sa.UniqueConstraint("external_id", name=op.f("uq_com_shops_external_id")),
    )
    op.create_table(
        "com_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("shop_id", sa.Integer(), sa.ForeignKey("com_shops.id"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        _money("price_fen"),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _money("created_at_ms"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_products")),
        sa.UniqueConstraint("external_id", name=op.f("uq_com_products_external_id")),
        sa.UniqueConstraint("shop_id", "sku", name="uq_com_products_shop_sku"),
    )
    op.create_table(
        "com_product_cards",
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("com_products.id"), nullable=False),
        sa.Column("target", sa.String(140), nullable=False),
        sa.PrimaryKeyConstraint("product_id", "target", name=op.f("pk_com_product_cards")),
    )
    op.create_table(
        "com_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("product_id", sa.Integer(), sa.ForeignKey("com_products.id"), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("amount_fen"),
        _money("commission_fen"),
        sa.Column("source", sa.String(160), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("journal_id", sa.Integer(), nullable=True),
        _money("created_at_ms"),
        _money("paid_at_ms", nullable=True),
        _money("shipped_at_ms", nullable=True),
        _money("refunded_at_ms", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_com_orders")),
        sa.UniqueConstraint("external_id", name=op.f("uq_com_orders_external_id")),
    )
    op.create_index("ix_com_orders_status", "com_orders", ["status"])


def downgrade() -> None:
    for table in (
        "com_orders",
        "com_product_cards",
        "com_products",
        "com_shops",
        "com_gifts",
        "com_room_viewers",
        "com_rooms",
        "com_unlocks",
        "com_paywalls",
        "com_notifications",
        "com_payments",
        "com_wallets",
    ):
        op.drop_table(table)
    with op.batch_alter_table("ad_journal") as batch:
        batch.alter_column("advertiser_id", existing_type=sa.Integer(), nullable=False)
