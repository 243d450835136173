"""Interfaces one area offers another, defined here so neither imports the other's internals.

The feed calls a ``TrustGate`` (implemented by ``trust``), an ``AdSlotFiller`` (implemented
by ``ads``) and ``LiveRooms`` (implemented by ``commerce``); ``laotie.wiring``
connects them. Both sides code against these.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from laotie.core.catalog import ItemCreate, ItemPublic
from laotie.core.kinds import AigcStatus


class TrustDecision(StrEnum):
    """The trust gate's verdict on an item."""

    ALLOW = "allow"
    DEMOTE = "demote"
    REVIEW = "review"
    BLOCK = "block"


class TrustGate(Protocol):
    """Per-item trust decisions; items absent from the answer are ``allow``."""

    def decisions(self, item_ids: Sequence[int]) -> Mapping[int, TrustDecision]:
        """Decisions for the given internal item ids."""
        ...


@dataclass(frozen=True)
class AdRequest:
    """A page of feed with reserved ad slot positions (0-based indices in the page)."""

    user_id: int
    user_external_id: str
    request_id: str
    slot_positions: Sequence[int]
    now_ms: int
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AdPlacement:
    """An ad that won a slot; ``impression_id`` is the id its charges are keyed by."""

    position: int
    impression_id: str
    campaign_id: str
    creative_id: str
    title: str
    landing_url: str
    price_fen: int
    aigc_status: AigcStatus = AigcStatus.NONE
    extra: Mapping[str, Any] = field(default_factory=dict)


class AdSlotFiller(Protocol):
    """Runs the auctions for a page's ad slots; may fill fewer slots than asked."""

    def fill(self, request: AdRequest) -> list[AdPlacement]:
        """Winning ads for the request's slots."""
        ...


@dataclass(frozen=True)
class LiveRoomSignal:
    """A room live now, as the feed sees it: its catalog item (internal id), audience, and
    gifting so far in fen."""

    item_id: int
    viewers: int
    gifts_fen: int


class LiveRooms(Protocol):
    """The rooms live at this moment (implemented by ``commerce``, read by the feed)."""

    def live_signals(self) -> Sequence[LiveRoomSignal]:
        """Every live room with its audience and gifting."""
        ...


#: weight of log gifting (fen) against log viewers in a live room's score
LIVE_GIFT_WEIGHT = 0.5
#: score added when a room's category is among the user's interests
LIVE_INTEREST_BONUS = 2.0


def live_score(*, viewers: int, gifts_fen: int, interested: bool) -> float:
    """A live room's rank score: log(1 + viewers) + 0.5 log(1 + gift fen), plus 2 when its
    category is among the user's interests (one rule for the feed and the live-now list)."""
    bonus = LIVE_INTEREST_BONUS if interested else 0.0
    return math.log1p(max(0, viewers)) + LIVE_GIFT_WEIGHT * math.log1p(max(0, gifts_fen)) + bonus


class PurchaseBiller(Protocol):
    """Bills the ad that led to a paid order (implemented by ``ads``, called by commerce)."""

    def bill_purchase(self, impression_id: str, *, order_id: str, user_id: int, ts_ms: int) -> int:
        """Charge a purchase-goal campaign once per impression; returns the fen charged."""
        ...


class CatalogDoor(Protocol):
    """Where an item enters the catalog: trust screens it before the feed may distribute it
    (``laotie.catalog.CatalogService`` is the one implementation)."""

    def add_item(self, item: ItemCreate, *, declared: bool = False) -> ItemPublic:
        """Add ``item``, screened by trust before this returns."""
        ...
