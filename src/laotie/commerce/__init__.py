"""Commerce: coins and top-ups, paid micro-drama, live rooms and gifts, shops and orders,
all in the one double-entry ledger; WeChat Pay v3 as the payment provider."""

from laotie.commerce.payments import NotificationOutcome, PaymentProvider, WechatPayProvider
from laotie.commerce.schemas import (
    CardCreate,
    EpisodeOffer,
    GiftCreate,
    GiftPublic,
    OrderCreate,
    OrderPublic,
    PaymentPublic,
    PaywallSet,
    ProductCreate,
    ProductPublic,
    RoomCreate,
    RoomPublic,
    ShopCreate,
    ShopPublic,
    TopUpCreate,
    UnlockCreate,
    UnlockPublic,
)
from laotie.commerce.service import CommerceService
from laotie.commerce.wechatpay import WechatPayConfig, load_private_key, load_public_key

__all__ = [
    "CardCreate",
    "CommerceService",
    "EpisodeOffer",
    "GiftCreate",
    "GiftPublic",
    "NotificationOutcome",
    "OrderCreate",
    "OrderPublic",
    "PaymentProvider",
    "PaymentPublic",
    "PaywallSet",
    "ProductCreate",
    "ProductPublic",
    "RoomCreate",
    "RoomPublic",
    "ShopCreate",
    "ShopPublic",
    "TopUpCreate",
    "UnlockCreate",
    "UnlockPublic",
    "WechatPayConfig",
    "WechatPayProvider",
    "load_private_key",
    "load_public_key",
]
