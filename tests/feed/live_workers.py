"""Work done in a child process by the live-signals test (imported by name under spawn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laotie.core.settings import load_settings
from laotie.wiring import build_services


def watch(home: str, redis_url: str, user: str, items: list[str], done: Any) -> None:
    """Another serving process: ``user`` watches ``items`` through its event log; ``done`` (an
    event) is set the moment the ingest (and its subscribers) returned."""
    services = build_services(load_settings(home=Path(home), live_state_url=redis_url))
    try:
        services.feed.feed(user, n=5, log=False)  # load this process's serving state first
        now = services.clock.now_ms()
        services.events.ingest(
            [
                {"id": f"w-{item}", "type": "watch", "user_id": user, "item_id": item,
                 "ts_ms": now, "watch_ms": 20_000, "duration_ms": 20_000}
                for item in items
            ]
        )  # fmt: skip
        done.set()
    finally:
        services.close()
