"""The book of served placements, which charging reads (this process's, and the one serving
processes share through the live state), and the placement the feed gets."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from laotie.ads.auction import CPC, CPM, OCPC, PURCHASE, click_price_fen
from laotie.ads.counters import AdCounters
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


#: a placement's numbers as shared between processes (all but its impression id)
_SHARED_FIELDS = (
    "campaign_pk", "creative_pk", "advertiser_pk", "objective", "price_millifen",
    "click_price_fen", "user_id", "position", "ts_ms",
)  # fmt: skip


def placement_fields(placement: Placement) -> dict[str, float]:
    """The numbers of ``placement`` as a flat mapping (how the live state keeps them)."""
    fields = {name: float(getattr(placement, name)) for name in _SHARED_FIELDS}
    fields |= {"pctr": placement.pctr, "pcvr": placement.pcvr}
    return fields | {"interest_match": float(placement.interest_match)}


def placement_from_fields(impression_id: str, fields: Mapping[str, float]) -> Placement:
    """The placement ``placement_fields`` flattened."""
    whole = {name: round(fields[name]) for name in _SHARED_FIELDS}
    return Placement(
        impression_id=impression_id,
        pctr=fields["pctr"],
        pcvr=fields["pcvr"],
        interest_match=bool(fields["interest_match"]),
        **whole,
    )


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
    ``max_size`` of them; shared with the other serving processes through ``counters`` where
    they use a live state server."""

    def __init__(self, *, ttl_ms: int, max_size: int, counters: AdCounters) -> None:
        self.ttl_ms = ttl_ms
        self.max_size = max_size
        self.counters = counters
        self._book: OrderedDict[str, Placement] = OrderedDict()

    def __len__(self) -> int:
        return len(self._book)

    def get(self, impression_id: str) -> Placement | None:
        """A served placement still in this process's book, or in the one processes share."""
        found = self._book.get(impression_id)
        if found is not None:
            return found
        fields = self.counters.shared_placement(impression_id)
        return placement_from_fields(impression_id, fields) if fields else None

    def share(self, impression_ids: Sequence[str]) -> None:
        """Let every serving process read these placements of this book for ``ttl_ms``."""
        placements = [self._book[i] for i in impression_ids]
        self.counters.share_placements(
            [(p.impression_id, placement_fields(p)) for p in placements], ttl_ms=self.ttl_ms
        )

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
