"""The event vocabulary: every event type and the fields it requires, defined in one place.

To add an event type, add one ``EventSpec`` to ``EVENT_SPECS``; ingestion, validation, the
lake schema and the docs all read this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from laotie.core.clock import MS_PER_DAY

#: the largest watch time a single event may carry (24 h), in ms
MAX_WATCH_MS = MS_PER_DAY
#: the longest item duration accepted (24 h), in ms
MAX_DURATION_MS = MS_PER_DAY
#: the largest single purchase, in fen (1,000,000 yuan)
MAX_AMOUNT_FEN = 100_000_000
#: bounds of a ``rate`` event's value
RATE_MIN, RATE_MAX = 0.0, 10.0


@dataclass(frozen=True)
class EventSpec:
    """One event type: which fields it needs and whether it must name an item."""

    name: str
    needs_item: bool = True
    required: tuple[str, ...] = field(default_factory=tuple)
    description: str = ""


EVENT_SPECS: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec("impression", description="an item was shown in a feed"),
        EventSpec("play", description="a valid play started (KuaiRand is_click)"),
        EventSpec(
            "watch",
            required=("watch_ms", "duration_ms"),
            description="watch time on an item; watch_ms may exceed duration_ms on replays",
        ),
        EventSpec("like", description="the user liked the item"),
        EventSpec("follow", description="the user followed the item's creator"),
        EventSpec("unfollow", description="the user unfollowed the item's creator"),
        EventSpec("comment", description="the user commented"),
        EventSpec("share", description="the user shared (forwarded) the item"),
        EventSpec("hate", description="negative feedback: 'not interested'"),
        EventSpec("report", description="the user reported the item"),
        EventSpec("rate", required=("value",), description="an explicit rating, value 0..10"),
        EventSpec("ad_impression", needs_item=False, description="an ad was shown"),
        EventSpec("ad_click", needs_item=False, description="an ad was clicked"),
        EventSpec("ad_conversion", needs_item=False, description="an ad led to a conversion"),
        EventSpec(
            "purchase",
            needs_item=False,
            required=("amount_fen",),
            description="a purchase (paywall unlock, goods) of amount_fen",
        ),
        EventSpec(
            "trust_decision",
            description="the trust gate decided on an item (value: decision code)",
        ),
    )
}

EVENT_TYPES: tuple[str, ...] = tuple(EVENT_SPECS)
#: dense integer code of each event type, used in the hot log and the lake
EVENT_CODES: dict[str, int] = {name: i for i, name in enumerate(EVENT_TYPES)}
EVENT_NAMES: dict[int, str] = {i: name for name, i in EVENT_CODES.items()}
