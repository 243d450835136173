"""A tiny hand-built world whose KPIs are computed by hand in test_kpis.py.

Asia/Shanghai is UTC+8: local day 2026-03-02 (a Monday) runs from 2026-03-01T16:00Z to
2026-03-02T16:00Z. User 1 uses two devices; user 3's only day-1-in-UTC event falls exactly on
local midnight, so it belongs to local day 2026-03-03.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_ms(text: str) -> int:
    """Epoch ms of a local Asia/Shanghai time ``YYYY-MM-DD HH:MM:SS[.fff]``."""
    fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in text else "%Y-%m-%d %H:%M:%S"
    return int(datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI).timestamp() * 1000)


EVENT_SCHEMA = {
    "event_id": pl.Int64,
    "client_event_id": pl.String,
    "type": pl.String,
    "user_id": pl.Int64,
    "item_id": pl.Int64,
    "ts_ms": pl.Int64,
    "watch_ms": pl.Int64,
    "duration_ms": pl.Int64,
    "value": pl.Float64,
    "amount_fen": pl.Int64,
    "ref": pl.String,
    "request_id": pl.String,
    "device_id": pl.String,
}


def make_events(rows: list[tuple]) -> pl.DataFrame:
    """Events from (type, user, item, local time, watch_ms, duration_ms, amount_fen, device)."""
    records = []
    for n, (kind, user, item, when, watch, duration, amount, device) in enumerate(rows):
        records.append(
            {
                "event_id": n + 1,
                "client_event_id": f"c{n + 1}",
                "type": kind,
                "user_id": user,
                "item_id": item,
                "ts_ms": local_ms(when),
                "watch_ms": watch,
                "duration_ms": duration,
                "value": None,
                "amount_fen": amount,
                "ref": None,
                "request_id": None,
                "device_id": device,
            }
        )
    return pl.DataFrame(records, schema=EVENT_SCHEMA)


@pytest.fixture
def items() -> pl.DataFrame:
    """Four items of three creators; item 3 is created on local day 2026-03-02."""
    return pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "kind": ["video", "episode", "video", "game"],
            "creator_id": [10, 10, 11, 12],
            "created_at_ms": [
                local_ms("2026-03-01 00:00:00"),
                local_ms("2026-01-01 00:00:00"),
                local_ms("2026-03-02 08:00:00"),
                local_ms("2026-01-01 00:00:00"),
            ],
            "aigc_status": ["none", "confirmed", "none", "declared"],
            "duration_ms": [10_000, 60_000, 30_000, 0],
        }
    )


@pytest.fixture
def events() -> pl.DataFrame:
    """Two local days of events (see the module docstring)."""
    return make_events(
        [
            # local day 2026-03-02
            ("impression", 1, 1, "2026-03-02 09:00:00", None, None, None, "phone"),
            ("play", 1, 1, "2026-03-02 09:00:01", None, None, None, "phone"),
            ("watch", 1, 1, "2026-03-02 09:00:11", 10_000, 10_000, None, "phone"),
            ("like", 1, 1, "2026-03-02 09:00:12", None, None, None, "phone"),
            ("impression", 1, 2, "2026-03-02 21:00:00", None, None, None, "tablet"),
            ("play", 1, 2, "2026-03-02 21:00:01", None, None, None, "tablet"),
            ("watch", 1, 2, "2026-03-02 21:00:30", 20_000, 60_000, None, "tablet"),
            ("impression", 2, 3, "2026-03-02 23:30:00", None, None, None, "p2"),
            ("watch", 2, 3, "2026-03-02 23:30:10", 5_000, 30_000, None, "p2"),
            ("hate", 2, 3, "2026-03-02 23:59:59.999", None, None, None, "p2"),
            ("trust_decision", 99, 3, "2026-03-02 10:00:00", None, None, None, None),
            # local day 2026-03-03 (user 3's first event is exactly local midnight)
            ("impression", 3, 1, "2026-03-03 00:00:00", None, None, None, "p3"),
            ("watch", 3, 1, "2026-03-03 00:00:09", 8_000, 10_000, None, "p3"),
            ("impression", 1, 3, "2026-03-03 12:00:00", None, None, None, "phone"),
            ("play", 1, 3, "2026-03-03 12:00:01", None, None, None, "phone"),
            ("watch", 1, 3, "2026-03-03 12:00:21", 19_000, 30_000, None, "phone"),
            ("follow", 1, 3, "2026-03-03 12:00:22", None, None, None, "phone"),
            ("purchase", 1, None, "2026-03-03 12:05:00", None, None, 600, "phone"),
            ("ad_impression", 2, None, "2026-03-03 13:00:00", None, None, None, "p2"),
            ("ad_click", 2, None, "2026-03-03 13:00:02", None, None, None, "p2"),
        ]
    )
