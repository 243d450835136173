"""Request and response schemas of commerce (money in integer fen)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from laotie.core.events import MAX_AMOUNT_FEN

Key = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:\-]+$")
ExternalId = Field(min_length=1, max_length=128)
#: the largest single top-up, fen (50,000 yuan)
MAX_TOPUP_FEN = 5_000_000
#: the largest stock of one product
MAX_STOCK = 10_000_000


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TopUpCreate(_Schema):
    """A user asks to buy coins for ``amount_fen``."""

    user_id: str = ExternalId
    amount_fen: int = Field(ge=1, le=MAX_TOPUP_FEN)


class PaymentPublic(_Schema):
    """A payment waiting for the payer (``code_url`` is what they scan) or settled."""

    out_trade_no: str
    user_id: str = Field(description="the payer (user external id)")
    purpose: str
    amount_fen: int
    status: str
    code_url: str | None = None


class PaywallSet(_Schema):
    """A series' paywall: the first ``free_episodes`` are free, the rest priced."""

    free_episodes: int = Field(ge=0, le=100_000)
    episode_price_fen: int = Field(ge=1, le=MAX_AMOUNT_FEN)
    series_price_fen: int = Field(ge=1, le=MAX_AMOUNT_FEN)


class UnlockCreate(_Schema):
    """Unlock one episode (``item_id``) or a whole series (``series_id``)."""

    user_id: str = ExternalId
    item_id: str | None = Field(default=None, max_length=128)
    series_id: str | None = Field(default=None, max_length=128)
    method: Literal["coins", "ad"] = "coins"
    ad_impression_id: str | None = Field(default=None, max_length=128)


class UnlockPublic(_Schema):
    """An unlock, new or found again."""

    scope: str
    method: str
    price_fen: int
    created: bool


class EpisodeOffer(_Schema):
    """The next episode of a series for a user, with its price when locked."""

    item_id: str
    position: int
    locked: bool
    price_fen: int
    series_price_fen: int


class RoomCreate(_Schema):
    """A creator goes live; an AI-host room must say so."""

    id: str = ExternalId
    creator_id: str = ExternalId
    title: str = Field(min_length=1, max_length=200)
    category: str = Field(default="", max_length=200)
    ai_host: bool = False


class RoomPublic(_Schema):
    """A room with its live audience and gifting."""

    id: str
    creator_id: str
    title: str
    category: str
    status: str
    ai_host: bool
    aigc_status: str
    viewers: int
    peak_viewers: int
    gifts: int
    gifts_fen: int
    started_at_ms: int
    ended_at_ms: int | None


class GiftCreate(_Schema):
    """A viewer sends a gift worth ``price_fen`` of coins, once per idempotency key."""

    user_id: str = ExternalId
    gift: str = Field(min_length=1, max_length=32)
    price_fen: int = Field(ge=1, le=MAX_TOPUP_FEN)
    idempotency_key: str = Key


class GiftPublic(_Schema):
    """A gift and how it was split."""

    id: int
    room_id: str
    gift: str
    price_fen: int
    creator_fen: int
    status: str
    created: bool = False


class ShopCreate(_Schema):
    """A merchant (an advertiser account) opens a shop."""

    id: str = ExternalId
    merchant_id: str = ExternalId
    name: str = Field(min_length=1, max_length=200)
    commission_bp: int = Field(default=500, ge=0, le=10_000)


class ShopPublic(_Schema):
    """A shop."""

    id: str
    merchant_id: str
    name: str
    commission_bp: int


class ProductCreate(_Schema):
    """One SKU of a shop."""

    id: str = ExternalId
    sku: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    price_fen: int = Field(ge=1, le=MAX_AMOUNT_FEN)
    stock: int = Field(ge=0, le=MAX_STOCK)


class ProductPublic(_Schema):
    """A product with its stock."""

    id: str
    shop_id: str
    sku: str
    title: str
    price_fen: int
    stock: int
    status: str


class CardCreate(_Schema):
    """Show a product on a video (``item:<id>``) or a live room (``room:<id>``)."""

    target: str = Field(pattern=r"^(item|room):.{1,128}$")


class OrderCreate(_Schema):
    """A user orders ``quantity`` of a product; ``source`` is what led to it."""

    id: str = ExternalId
    user_id: str = ExternalId
    product_id: str = ExternalId
    quantity: int = Field(default=1, ge=1, le=1000)
    source: str = Field(default="direct", pattern=r"^(direct|(item|room|ad):.{1,128})$")


class OrderPublic(_Schema):
    """An order and its payment."""

    id: str
    user_id: str
    product_id: str
    quantity: int
    amount_fen: int
    commission_fen: int
    source: str
    status: str
    out_trade_no: str | None = None
    code_url: str | None = None


class PayoutCreate(_Schema):
    """Pay a creator (their gift and unlock shares) or a merchant (goods sold) ``amount_fen``
    of what they are owed, once per idempotency key."""

    kind: Literal["creator", "merchant"]
    account_id: str = ExternalId
    amount_fen: int = Field(ge=1, le=1_000_000_000)
    idempotency_key: str = Field(min_length=1, max_length=100)


class PayoutPublic(_Schema):
    """A payout: its ledger journal id and what is still owed after it, fen."""

    id: int
    kind: str
    account_id: str
    amount_fen: int
    owed_fen: int
