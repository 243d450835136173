"""A small commerce world on a real SQLite file: users, a creator with a paywalled series,
a live room, a merchant's shop with a product."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from laotie.ads import AdsService, AdvertiserCreate
from laotie.catalog import CatalogService
from laotie.commerce import (
    CommerceService,
    PaywallSet,
    ProductCreate,
    RoomCreate,
    ShopCreate,
    TopUpCreate,
)
from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate, UserCreate
from laotie.core.clock import ManualClock
from laotie.core.settings import load_settings
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.trust import TrustService

START_MS = 1_790_000_000_000
USERS = ("u1", "u2", "u3")
EPISODES = 6
FREE = 2


def catalog_door(db: Database, home: Path) -> CatalogService:
    """The catalog door the platform wires: trust screens each new item."""
    return CatalogService(db, screen=TrustService(db, media_dir=home / "media").screening)


def build_world(db: Database, home: Path) -> CommerceService:
    """Populate ``db`` and return a commerce service on it (no payment provider)."""
    clock = ManualClock(START_MS)
    with db.session() as session:
        for user in USERS:
            catalog.create_user(session, user=UserCreate(id=user), created_at_ms=START_MS)
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="C1"))
        catalog.create_series(session, series=ContainerCreate(id="s1", creator_id="c1", title="S"))
        for position in range(1, EPISODES + 1):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=f"s1-e{position}",
                    kind="episode",
                    creator_id="c1",
                    parent_id="s1",
                    position=position,
                    title=f"E{position}",
                ),
            )
        catalog.create_item(
            session, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="V")
        )
    AdsService(db, settings=load_settings(home=home), clock=clock).accounts.create_advertiser(
        AdvertiserCreate(id="m1", name="Merchant")
    )
    service = CommerceService(
        db,
        door=catalog_door(db, home),
        clock=clock,
        gift_creator_bp=5_000,
        content_creator_bp=7_000,
    )
    service.content.set_paywall(
        "s1", PaywallSet(free_episodes=FREE, episode_price_fen=30, series_price_fen=150)
    )
    service.live.start(RoomCreate(id="r1", creator_id="c1", title="Live", category="美食"))
    service.shops.create_shop(ShopCreate(id="shop1", merchant_id="m1", name="Shop"))
    service.shops.add_product(
        "shop1", ProductCreate(id="p1", sku="SKU-1", title="Tea", price_fen=1999, stock=5)
    )
    return service


@pytest.fixture
def world(tmp_path: Path) -> Iterator[CommerceService]:
    """A commerce world on a fresh SQLite file."""
    db = Database(f"sqlite:///{tmp_path / 'laotie.db'}")
    db.migrate()
    service = build_world(db, tmp_path)
    yield service
    db.dispose()


def settle_top_up(service: CommerceService, user: str, amount_fen: int) -> str:
    """Start and settle a top-up in-process; its trade number."""
    payment = service.payments.start_top_up(TopUpCreate(user_id=user, amount_fen=amount_fen))
    settled = service.payments.settle(
        out_trade_no=payment.out_trade_no,
        transaction_id=f"T{payment.out_trade_no}",
        amount_fen=amount_fen,
    )
    assert settled
    return payment.out_trade_no


@pytest.fixture
def top_up() -> Callable[[CommerceService, str, int], str]:
    """``top_up(service, user, fen)``: a settled top-up's trade number."""
    return settle_top_up
