"""E-commerce: merchants' shops and products, product cards on videos and rooms; orders are
``commerce.orders``.

An order takes its stock when it is created (a conditional UPDATE, so concurrent orders can
never take stock below zero), is paid through the payment provider, shipped, and refunded
by an operator (stock returned, the payment's journal reversed exactly). GMV and commission
are attributed to the order's ``source``: a video (``item:``), a live room (``room:``) or an
ad impression (``ad:``), whose ``ad_conversion`` event the ads area records.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.commerce._base import Area
from laotie.commerce.schemas import (
    CardCreate,
    ProductCreate,
    ProductPublic,
    ShopCreate,
    ShopPublic,
)
from laotie.core.errors import Conflict, InvalidInput, PermissionDenied
from laotie.store.repos import ads as ads_repo
from laotie.store.repos import commerce as repo
from laotie.store.tables import (
    AdAdvertiser,
    ComProduct,
    ComProductCard,
    ComRoom,
    ComShop,
    Item,
)


class Shops(Area):
    """Shops, their products and the product cards on videos and live rooms."""

    def create_shop(self, shop: ShopCreate, *, scope: str | None = None) -> ShopPublic:
        """A merchant (advertiser account) opens a shop; ``scope`` is an advertiser key's."""
        _check_merchant(scope, shop.merchant_id)
        with self.db.session() as session:
            if repo.exists_external_id(session, ComShop, external_id=shop.id):
                raise Conflict(f"shop {shop.id!r} already exists", field="id")
            merchant = ads_repo.get_advertiser(session, external_id=shop.merchant_id)
            row = repo.add(
                session,
                ComShop(
                    external_id=shop.id,
                    advertiser_id=merchant.id,
                    name=shop.name,
                    commission_bp=shop.commission_bp,
                    created_at_ms=self.stamp()[0],
                ),
            )
            return _shop_public(row, merchant.external_id)

    def add_product(
        self, shop_id: str, product: ProductCreate, *, scope: str | None = None
    ) -> ProductPublic:
        """Add one SKU to a shop."""
        with self.db.session() as session:
            shop = scoped_shop(session, shop_id, scope)
            if repo.exists_external_id(session, ComProduct, external_id=product.id):
                raise Conflict(f"product {product.id!r} already exists", field="id")
            row = repo.add(
                session,
                ComProduct(
                    external_id=product.id,
                    shop_id=shop.id,
                    sku=product.sku,
                    title=product.title,
                    price_fen=product.price_fen,
                    stock=product.stock,
                    status="on_sale",
                    created_at_ms=self.stamp()[0],
                ),
            )
            return _product_public(row, shop.external_id)

    def restock(self, product_id: str, quantity: int, *, scope: str | None = None) -> ProductPublic:
        """Add ``quantity`` units to a product's stock."""
        if not 0 < quantity <= 10_000_000:
            raise InvalidInput("quantity must be 1..10000000", field="quantity", limit=10_000_000)
        with self.db.session() as session:
            product = repo.by_external_id(
                session, ComProduct, external_id=product_id, field="product_id"
            )
            shop = scoped(session, repo.shop_row(session, shop_id=product.shop_id), scope)
            repo.return_stock(session, product_id=product.id, quantity=quantity)
            session.refresh(product)
            return _product_public(product, shop.external_id)

    def products(self, shop_id: str) -> list[ProductPublic]:
        """A shop's products with their stock."""
        with self.db.session() as session:
            shop = scoped_shop(session, shop_id, None)
            return [
                _product_public(p, shop.external_id)
                for p in repo.products_of_shop(session, shop_id=shop.id)
            ]

    def add_card(self, product_id: str, card: CardCreate, *, scope: str | None = None) -> None:
        """Show a product on a video or a live room (idempotent)."""
        kind, _, target_id = card.target.partition(":")
        with self.db.session() as session:
            product = repo.by_external_id(
                session, ComProduct, external_id=product_id, field="product_id"
            )
            scoped(session, repo.shop_row(session, shop_id=product.shop_id), scope)
            table = Item if kind == "item" else ComRoom
            repo.by_external_id(session, table, external_id=target_id, field="target")
            if not repo.card_exists(session, product_id=product.id, target=card.target):
                repo.add(session, ComProductCard(product_id=product.id, target=card.target))

    def cards(self, target: str) -> list[ProductPublic]:
        """Products shown on ``item:<id>`` or ``room:<id>``."""
        with self.db.session() as session:
            return [
                _product_public(p, repo.shop_row(session, shop_id=p.shop_id).external_id)
                for p in repo.cards(session, target=target)
            ]


def scoped_shop(session: Session, shop_id: str, scope: str | None) -> ComShop:
    """The shop ``shop_id``, when a key scoped to ``scope`` (a merchant) may act on it."""
    shop = repo.by_external_id(session, ComShop, external_id=shop_id, field="shop_id")
    return scoped(session, shop, scope)


def scoped(session: Session, shop: ComShop, scope: str | None) -> ComShop:
    """``shop``, when a key scoped to ``scope`` (a merchant) may act on it."""
    if scope is not None:
        merchant = session.get(AdAdvertiser, shop.advertiser_id)
        _check_merchant(scope, merchant.external_id if merchant else "")
    return shop


def _check_merchant(scope: str | None, merchant_id: str) -> None:
    if scope is not None and scope != merchant_id:
        raise PermissionDenied(
            f"this key is scoped to merchant {scope!r} and may not act on {merchant_id!r}",
            field="scope",
        )


def _shop_public(row: ComShop, merchant_id: str) -> ShopPublic:
    return ShopPublic(
        id=row.external_id, merchant_id=merchant_id, name=row.name, commission_bp=row.commission_bp
    )


def _product_public(row: ComProduct, shop_id: str) -> ProductPublic:
    return ProductPublic(
        id=row.external_id,
        shop_id=shop_id,
        sku=row.sku,
        title=row.title,
        price_fen=row.price_fen,
        stock=row.stock,
        status=row.status,
    )
