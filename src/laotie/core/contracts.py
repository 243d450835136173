"""Interfaces one area offers another, defined here so neither imports the other's internals.

The feed calls a ``TrustGate`` (implemented by ``trust``) and an ``AdSlotFiller``
(implemented by ``ads``); ``laotie.wiring`` connects them. Both sides code against these.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

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
