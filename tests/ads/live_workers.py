"""Work done in child processes by the shared-budget test (imported by name under spawn)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laotie.core.settings import load_settings
from laotie.wiring import build_services


def charge_clicks(home: str, redis_url: str, batches: list[list[dict[str, Any]]]) -> None:
    """One serving process on the shared home and Redis: ingest ``batches`` of click events
    (charged by its ads service after each commit)."""
    services = build_services(load_settings(home=Path(home), live_state_url=redis_url))
    try:
        for batch in batches:
            services.events.ingest(batch)
    finally:
        services.close()
