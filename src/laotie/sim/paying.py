"""Paying behaviour of simulated users: coin top-ups, live gifts, episode unlocks, purchases.

The simulator opens the platform's other revenue lines on day 0 (a live room for the busiest
creators, a paywall on every series, a merchant's shop whose products are carded on rooms
and videos), then each day some active users pay, through the same commerce service the API
uses. The simulator plays the payer and the payment provider: it settles each payment
in-process, as a verified WeChat Pay notification would.

Rates (per active user and day) come from Kuaishou's public results where a figure exists;
docs/commerce.md shows each derivation. Where no public figure exists the rate is an
assumption, marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from laotie.ads import AdvertiserCreate
from laotie.commerce import (
    CardCreate,
    GiftCreate,
    OrderCreate,
    PaywallSet,
    ProductCreate,
    RoomCreate,
    ShopCreate,
    TopUpCreate,
    UnlockCreate,
)
from laotie.core.errors import Conflict, InsufficientBalance, InvalidInput, NotFound
from laotie.wiring import Services

#: external ids of the simulated world's series start with this
SERIES_PREFIX = "sim-s"
#: coin packs users buy, fen (Kuaishou's recharge tiers 6/30/68/198 yuan)
COIN_PACKS_FEN = (600, 3_000, 6_800, 19_800)


@dataclass(frozen=True)
class PayingRates:
    """Daily paying behaviour of an active user (probabilities per active day; fen)."""

    #: 18.6% of MAU bought in a month (Q1 2024 monthly active buyers 126 M), spread over
    #: ~17 active days a month (DAU/MAU 407.5 M / 714.1 M, Q3 2024): 1 - 0.814 ** (1 / 17)
    buy: float = 0.012
    #: live-streaming revenue RMB 9.33 bn in Q3 2024 (30.0% of RMB 31.1 bn) over 407.5 M DAU x
    #: 92 days = 25 fen per DAU-day; split as 2.5% of active users gifting 10 yuan (assumed)
    gift: float = 0.025
    gift_fen: int = 1_000
    #: assumption (no public figure): 1% of active users unlock an episode a day
    unlock: float = 0.01
    #: assumption: one unlock in five buys the whole series
    whole_series: float = 0.2
    #: platform commission on goods: other-services revenue RMB 4.2 bn over GMV RMB 334.2 bn
    #: in Q3 2024 = 1.26% (an upper bound: other services hold more than commission)
    commission_bp: int = 126
    #: assumption: the median product costs 59 yuan, log-normal spread
    price_median_fen: int = 5_900


@dataclass
class PayingDay:
    """What users paid on one simulated day."""

    top_ups: int = 0
    gifts: int = 0
    unlocks: int = 0
    orders: int = 0
    refused: int = 0
    paid_fen: int = 0


@dataclass
class Paying:
    """Drives paying behaviour through ``services.commerce`` (a ``laotie.wiring.Services``)."""

    services: Services
    user_ids: list[str]
    seed: int
    rates: PayingRates = field(default_factory=PayingRates)
    rooms: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    cards: list[str] = field(default_factory=list)

    def open(self, *, creators: list[str], series: list[str], videos: list[str]) -> None:
        """Day 0: rooms for up to 5 creators, paywalls, a merchant with 8 products."""

        commerce = self.services.commerce
        rng = np.random.default_rng([self.seed, 71])
        for i, creator in enumerate(creators[:5]):
            room = commerce.live.start(
                RoomCreate(id=f"sim-room{i}", creator_id=creator, title=f"直播间 {i}")
            )
            self.rooms.append(room.id)
        for series_id in series:
            commerce.content.set_paywall(
                series_id, PaywallSet(free_episodes=5, episode_price_fen=30, series_price_fen=990)
            )
        self.series = list(series)
        self.services.ads.accounts.create_advertiser(
            AdvertiserCreate(id="sim-merchant", name="模拟商家")
        )
        commerce.shops.create_shop(
            ShopCreate(
                id="sim-shop",
                merchant_id="sim-merchant",
                name="模拟小店",
                commission_bp=self.rates.commission_bp,
            )
        )
        for p in range(8):
            price = int(self.rates.price_median_fen * np.exp(rng.normal(0.0, 0.6)))
            commerce.shops.add_product(
                "sim-shop",
                ProductCreate(
                    id=f"sim-p{p}",
                    sku=f"SKU-{p}",
                    title=f"好物 {p}",
                    price_fen=max(price, 100),
                    stock=100_000,
                ),
            )
            self.products.append(f"sim-p{p}")
        targets = [f"room:{r}" for r in self.rooms] + [f"item:{v}" for v in videos[:20]]
        for i, target in enumerate(targets):
            commerce.shops.add_card(
                self.products[i % len(self.products)], CardCreate(target=target)
            )
        self.cards = targets

    def play_day(self, day: int, active_users: np.ndarray) -> PayingDay:
        """Let the day's active users (indices into ``user_ids``) pay."""
        tally = PayingDay()
        rng = np.random.default_rng([self.seed, 73, day])
        for user in np.flatnonzero(active_users):
            draws = rng.random(3)
            user_id = self.user_ids[int(user)]
            try:
                if self.rooms and draws[0] < self.rates.gift:
                    self._gift(user_id, day, int(user), rng, tally)
                if self.series and draws[1] < self.rates.unlock:
                    self._unlock(user_id, rng, tally)
                if self.products and draws[2] < self.rates.buy:
                    self._buy(user_id, day, int(user), rng, tally)
            except (Conflict, InsufficientBalance, InvalidInput, NotFound):
                tally.refused += 1
        return tally

    def _top_up_for(self, user_id: str, need_fen: int, tally: PayingDay) -> None:
        commerce = self.services.commerce
        short = need_fen - commerce.wallet_fen(user_id)
        if short <= 0:
            return
        pack = next((p for p in COIN_PACKS_FEN if p >= short), short)
        payment = commerce.payments.start_top_up(TopUpCreate(user_id=user_id, amount_fen=pack))
        commerce.payments.settle(
            out_trade_no=payment.out_trade_no,
            transaction_id=f"sim-{payment.out_trade_no}",
            amount_fen=pack,
        )
        tally.top_ups += 1
        tally.paid_fen += pack

    def _gift(
        self, user_id: str, day: int, user: int, rng: np.random.Generator, tally: PayingDay
    ) -> None:
        price = int(max(10, rng.exponential(self.rates.gift_fen)))
        self._top_up_for(user_id, price, tally)
        room = self.rooms[int(rng.integers(len(self.rooms)))]
        self.services.commerce.live.send_gift(
            room,
            GiftCreate(
                user_id=user_id, gift="小心心", price_fen=price, idempotency_key=f"sim-{day}-{user}"
            ),
        )
        tally.gifts += 1

    def _unlock(self, user_id: str, rng: np.random.Generator, tally: PayingDay) -> None:
        commerce = self.services.commerce
        series_id = self.series[int(rng.integers(len(self.series)))]
        whole = rng.random() < self.rates.whole_series
        offer = (
            None if whole else commerce.content.next_episode(user_id, series_id, after_position=5)
        )
        if not whole and (offer is None or not offer.locked):
            return
        price = offer.price_fen if offer is not None else 990
        self._top_up_for(user_id, price, tally)
        request = (
            UnlockCreate(user_id=user_id, series_id=series_id)
            if offer is None
            else UnlockCreate(user_id=user_id, item_id=offer.item_id)
        )
        if commerce.content.unlock(request).created:
            tally.unlocks += 1

    def _buy(
        self, user_id: str, day: int, user: int, rng: np.random.Generator, tally: PayingDay
    ) -> None:
        commerce = self.services.commerce
        source = self.cards[int(rng.integers(len(self.cards)))] if self.cards else "direct"
        product = self.products[int(rng.integers(len(self.products)))]
        order = commerce.orders.create_order(
            OrderCreate(id=f"sim-o{day}-{user}", user_id=user_id, product_id=product, source=source)
        )
        commerce.payments.settle(
            out_trade_no=str(order.out_trade_no),
            transaction_id=f"sim-{order.out_trade_no}",
            amount_fen=order.amount_fen,
        )
        tally.orders += 1
        tally.paid_fen += order.amount_fen


def open_paying(simulation: Any) -> Paying | None:
    """Open the paying lines for a ``Simulation`` on day 0 (None without a commerce service)."""
    services = simulation.services
    if getattr(services, "commerce", None) is None:
        return None
    world = simulation.world
    paying = Paying(
        services=services,
        user_ids=list(simulation.population.user_ids),
        seed=simulation.config.run.seed,
    )
    paying.open(
        creators=[c.id for c in world.creators_rows()],
        series=[c.id for c in world.container_rows(0) if c.id.startswith(SERIES_PREFIX)],
        videos=[i.id for i in world.item_rows(0) if i.kind == "video"],
    )
    return paying
