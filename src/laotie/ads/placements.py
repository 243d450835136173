"""The book of served placements, which charging reads, and the placement the feed gets."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from laotie.ads.auction import CPC, CPM, OCPC, PURCHASE, click_price_fen
from laotie.ads.index import CreativeSpec
from laotie.core.contracts import AdPlacement
from laotie.core.kinds import AigcStatus


@dataclass(slots=True)
class Placement:
    """A served ad awaiting its events: what each billable event will cost."""

    impression_id: str
    campaign_pk: int
    creative_pk: int
    advertiser_pk: int
    objective: int
    price_millifen: int
    click_price_fen: int
    pctr: float
    pcvr: float
    user_id: int
    position: int
    interest_match: bool
    ts_ms: int


def placement_prices(
    objective: int, price_ecpm: float, *, pctr: float, pcvr: float, bid_fen: int
) -> tuple[int, int]:
    """(price in milli-fen, click price in fen) of an ad won at ``price_ecpm``: CPM bills the
    impression; CPC and oCPC the click (at most the bid, oCPC's times pCVR); a purchase goal
    keeps its clearing price to bill the purchase at (charging)."""
    price_millifen = math.floor(price_ecpm) if objective in (CPM, PURCHASE) else 0
    click_price = 0
    if objective == CPC:
        click_price = click_price_fen(price_ecpm, pctr, cap_fen=bid_fen)
    elif objective == OCPC:
        click_price = click_price_fen(price_ecpm, pctr, cap_fen=bid_fen * pcvr)
    return price_millifen, click_price


class PlacementBook:
    """Served placements by impression id, oldest first, kept for ``ttl_ms`` and at most
    ``max_size`` of them."""

    def __init__(self, *, ttl_ms: int, max_size: int) -> None:
        self.ttl_ms = ttl_ms
        self.max_size = max_size
        self._book: OrderedDict[str, Placement] = OrderedDict()

    def __len__(self) -> int:
        return len(self._book)

    def get(self, impression_id: str) -> Placement | None:
        """A served placement still in the book."""
        return self._book.get(impression_id)

    def remember(self, placement: Placement) -> None:
        """Add a placement, dropping the expired and the oldest beyond ``max_size``."""
        book = self._book
        book[placement.impression_id] = placement
        horizon = placement.ts_ms - self.ttl_ms
        while book:
            oldest = next(iter(book.values()))
            if len(book) <= self.max_size and oldest.ts_ms >= horizon:
                break
            book.popitem(last=False)


def ad_placement(
    placement: Placement, *, creative: CreativeSpec, campaign_id: str, position: int
) -> AdPlacement:
    """What the feed gets for a placement: its price in fen and its AIGC status."""
    objective = placement.objective
    if creative.aigc:
        status = AigcStatus.CONFIRMED if creative.aigc_labels else AigcStatus.DECLARED
    else:
        status = AigcStatus.NONE
    click_price = placement.click_price_fen
    return AdPlacement(
        position=position,
        impression_id=placement.impression_id,
        campaign_id=campaign_id,
        creative_id=creative.external_id,
        title=creative.title,
        landing_url=creative.landing_url,
        price_fen=click_price if objective != CPM else round(placement.price_millifen / 1000),
        aigc_status=status,
        extra={
            "billing": {CPM: "impression", PURCHASE: "purchase"}.get(objective, "click"),
            "price_millifen": placement.price_millifen,
            "click_price_fen": click_price,
            "pctr": placement.pctr,
        },
    )
