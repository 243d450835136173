"""Rate limits shared by serving processes through one Redis live state (a real server)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from limits import parse_many

from laotie.api import create_app
from laotie.store.live import open_live_state
from laotie.wiring import Services


def _app(services: Services):
    app = create_app(services)
    app.state.guard.per_key = list(parse_many("5/minute"))
    return app


def test_a_keys_limit_counts_requests_to_every_process(
    services: Services, admin_headers: dict[str, str], redis_url: str
) -> None:
    apps, lives = [], [open_live_state(redis_url) for _ in range(2)]
    for live in lives:  # two guards, each with its own connections: two processes
        services.live = live
        apps.append(_app(services))
    answers = []
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            for n in range(7):
                client = first if n % 2 else second
                answers.append(client.get("/v1/items", headers=admin_headers).status_code)
    finally:
        lives[0].close()  # the services fixture closes the other
    assert answers == [200] * 5 + [429] * 2
