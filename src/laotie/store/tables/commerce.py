"""Commerce tables: wallets, payments, paywalls and unlocks, live rooms and gifts, shops,
products, product cards and orders. Money moves only through the ads ledger
(``ad_journal``/``ad_postings``); the balances here mirror it and are moved with conditional
UPDATEs so they can never go below zero."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class ComWallet(Base):
    """A user's coin wallet; ``balance_fen`` mirrors the ledger account ``user:<id>:coins``."""

    __tablename__ = "com_wallets"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    balance_fen: Mapped[int] = mapped_column(default=0)


class ComPayment(Base):
    """A payment through the provider: a coin top-up or an order, keyed by our trade number."""

    __tablename__ = "com_payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    order_id: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="created")
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    journal_id: Mapped[int | None] = mapped_column(Integer)
    created_at_ms: Mapped[int]
    paid_at_ms: Mapped[int | None] = mapped_column(default=None)


class ComNotification(Base):
    """A provider notification accepted once by its id, whatever the number of deliveries."""

    __tablename__ = "com_notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notification_id: Mapped[str] = mapped_column(String(64), unique=True)
    provider: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    out_trade_no: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(32))
    received_at_ms: Mapped[int]


class ComPaywall(Base):
    """A series' paywall: episodes at positions after ``free_episodes`` (1-based) are locked."""

    __tablename__ = "com_paywalls"
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), primary_key=True)
    free_episodes: Mapped[int] = mapped_column(Integer)
    episode_price_fen: Mapped[int]
    series_price_fen: Mapped[int]


class ComUnlock(Base):
    """A user unlocked one episode or a whole series (``scope`` ``item:<id>``/``series:<id>``)."""

    __tablename__ = "com_unlocks"
    __table_args__ = (UniqueConstraint("user_id", "scope", name="uq_com_unlocks_user_scope"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"))
    item_id: Mapped[int | None] = mapped_column(Integer)
    scope: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(8))
    price_fen: Mapped[int]
    creator_id: Mapped[int] = mapped_column(Integer)
    journal_id: Mapped[int | None] = mapped_column(Integer)
    ad_impression_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    ts_ms: Mapped[int]


class ComRoom(Base):
    """A live room of a creator, live between ``started_at_ms`` and ``ended_at_ms``."""

    __tablename__ = "com_rooms"
    __table_args__ = (Index("ix_com_rooms_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    creator_id: Mapped[int] = mapped_column(ForeignKey("creators.id"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8), default="live")
    ai_host: Mapped[bool] = mapped_column(Boolean, default=False)
    aigc_status: Mapped[str] = mapped_column(String(16), default="none")
    viewers: Mapped[int] = mapped_column(Integer, default=0)
    peak_viewers: Mapped[int] = mapped_column(Integer, default=0)
    started_at_ms: Mapped[int]
    ended_at_ms: Mapped[int | None] = mapped_column(default=None)


class ComRoomViewer(Base):
    """A user's presence in a room (joins and leaves are idempotent)."""

    __tablename__ = "com_room_viewers"
    room_id: Mapped[int] = mapped_column(ForeignKey("com_rooms.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at_ms: Mapped[int]


class ComGift(Base):
    """A gift sent in a live room, once per idempotency key; refunded gifts stay, marked."""

    __tablename__ = "com_gifts"
    __table_args__ = (Index("ix_com_gifts_room", "room_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    txn_key: Mapped[str] = mapped_column(String(160), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("com_rooms.id"))
    creator_id: Mapped[int] = mapped_column(Integer)
    gift: Mapped[str] = mapped_column(String(32))
    price_fen: Mapped[int]
    creator_fen: Mapped[int]
    journal_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="sent")
    ts_ms: Mapped[int]


class ComShop(Base):
    """A merchant's shop; the merchant is an advertiser account; commission in basis points."""

    __tablename__ = "com_shops"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    advertiser_id: Mapped[int] = mapped_column(ForeignKey("ad_advertisers.id"))
    name: Mapped[str] = mapped_column(String(200))
    commission_bp: Mapped[int] = mapped_column(Integer)
    created_at_ms: Mapped[int]


class ComProduct(Base):
    """A product (one SKU) of a shop; ``stock`` never goes below zero."""

    __tablename__ = "com_products"
    __table_args__ = (UniqueConstraint("shop_id", "sku", name="uq_com_products_shop_sku"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("com_shops.id"))
    sku: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    price_fen: Mapped[int]
    stock: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="on_sale")
    created_at_ms: Mapped[int]


class ComProductCard(Base):
    """A product shown on an item (video) or a live room."""

    __tablename__ = "com_product_cards"
    product_id: Mapped[int] = mapped_column(ForeignKey("com_products.id"), primary_key=True)
    target: Mapped[str] = mapped_column(String(140), primary_key=True)


class ComOrder(Base):
    """An order of one product; GMV is attributed to ``source`` (``item:``, ``room:``, ``ad:``)."""

    __tablename__ = "com_orders"
    __table_args__ = (Index("ix_com_orders_status", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("com_products.id"))
    shop_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int]
    commission_fen: Mapped[int]
    source: Mapped[str] = mapped_column(String(160), default="direct")
    creator_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="created")
    journal_id: Mapped[int | None] = mapped_column(Integer)
    created_at_ms: Mapped[int]
    paid_at_ms: Mapped[int | None] = mapped_column(default=None)
    shipped_at_ms: Mapped[int | None] = mapped_column(default=None)
    refunded_at_ms: Mapped[int | None] = mapped_column(default=None)
