"""A server process computes at most ``feed_concurrency`` feeds at once, off the event loop."""

from __future__ import annotations

import threading
import time
from typing import Any

import anyio
import httpx
import pytest

from laotie.api import create_app
from laotie.wiring import Services


@pytest.mark.parametrize("limit", [1, 2])
def test_feeds_at_once_never_exceed_the_setting(
    services: Services, app_headers: dict[str, str], limit: int
) -> None:
    services.settings = services.settings.model_copy(update={"feed_concurrency": limit})
    running, most = 0, 0
    lock = threading.Lock()
    serve = services.feed.feed

    def slow_feed(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)  # long enough for every request to be waiting at once
        try:
            return serve(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    services.feed.feed = slow_feed  # type: ignore[method-assign]
    app = create_app(services)

    async def main() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            statuses: list[int] = []

            async def one(user: int) -> None:
                response = await http.get(f"/v1/feed/u{user}?n=5", headers=app_headers)
                statuses.append(response.status_code)

            async with anyio.create_task_group() as group:
                for user in range(6):
                    group.start_soon(one, user)
            return statuses

    assert anyio.run(main) == [200] * 6
    assert most == limit
