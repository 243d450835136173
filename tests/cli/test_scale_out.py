"""Four ``laotie serve`` processes on one PostgreSQL and one Redis, all real servers on
loopback, under a bounded load of feed pages, ad impressions and clicks (issue 22):

- the campaign's spend never passes its budget by more than 1%, and no click is charged twice,
  although clients retry on other processes and click some impressions twice;
- a watch accepted by one process takes the items off the next page another serves, within 1 s;
- one process is SIGKILLed mid-load: every event it (or any other) acknowledged is stored.
"""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from tests.ads.campaigns import open_campaign
from tests.servers.postgres import TEMPLATE

from laotie.ads import CampaignUpdate
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import day_label
from laotie.core.settings import load_settings
from laotie.store.repos import access, catalog
from laotie.store.repos import ads as ads_repo
from laotie.store.tables import Event
from laotie.wiring import build_services

from .test_serving import Process, _free_port

# four interpreters importing laotie and building their services: minutes on a shared 2-core box
pytestmark = [pytest.mark.slow, pytest.mark.servers]

SERVERS = 4
USERS = 120
ITEMS = 60
BID_FEN = 50


def _seed(settings: Any) -> tuple[str, str]:
    """Items, an advertiser with one click campaign, and an app and an admin key."""
    services = build_services(settings)
    try:
        with services.db.session() as session:
            catalog.create_creator(session, creator=CreatorCreate(id="cr", name="C"))
            catalog.bulk_create_items(
                session,
                items=[
                    ItemCreate(id=f"v{n}", kind="video", creator_id="cr", title=f"视频{n}")
                    for n in range(ITEMS)
                ],
            )
            app_key, _ = access.create_key(session, role="app")
            admin_key, _ = access.create_key(session, role="admin")
        open_campaign(
            services.ads, bid_fen=BID_FEN, daily_budget_fen=10_000_000, funds_fen=10_000_000
        )
    finally:
        services.close()
    return app_key, admin_key


class Cluster:
    """The serving processes, and a client that tells which of them acknowledged what."""

    def __init__(self, env: dict[str, str], key: str) -> None:
        self.ports = [_free_port() for _ in range(SERVERS)]
        self.servers = [
            Process(["serve", "--host", "127.0.0.1"], {**env, "LAOTIE_PORT": str(port)})
            for port in self.ports
        ]
        self.headers = {"Authorization": f"Bearer {key}"}
        self.down: set[int] = set()
        self.acknowledged: set[str] = set()

    def wait_until_serving(self) -> None:
        for server in self.servers:
            server.wait_for("Application startup complete", timeout_s=300)

    def url(self, server: int) -> str:
        return f"http://127.0.0.1:{self.ports[server]}"

    def page(self, server: int, user: str, *, preview: bool = False) -> dict[str, Any]:
        answer = httpx.get(
            f"{self.url(server)}/v1/feed/{user}",
            params={"n": 8, "preview": str(preview).lower()},
            headers=self.headers,
            timeout=120,
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    def send(self, server: int, events: list[dict[str, Any]]) -> None:
        """Post ``events`` to ``server``; a process that is down makes the client retry on the
        next one, as a load balancer would."""
        while server in self.down:
            server = (server + 1) % SERVERS
        answer = httpx.post(
            f"{self.url(server)}/v1/events", json=events, headers=self.headers, timeout=120
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["rejected"] == 0, body
        self.acknowledged.update(e["id"] for e in events)

    def kill(self, server: int) -> None:
        self.down.add(server)
        os.kill(self.servers[server].process.pid, signal.SIGKILL)
        self.servers[server].process.wait(30)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def _ad_event(kind: str, prefix: str, user: str, impression: str, ts_ms: int) -> dict[str, Any]:
    return {
        "id": f"{prefix}-{impression}",
        "type": kind,
        "user_id": user,
        "ts_ms": ts_ms,
        "ref": impression,
    }


def test_four_serve_processes_share_postgres_and_redis(
    postgres_server, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    database_url = postgres_server.create_database(template=TEMPLATE)
    settings = load_settings(home=home, database_url=database_url, live_state_url=redis_url)
    app_key, _ = _seed(settings)
    env = {
        "LAOTIE_HOME": str(home),
        "LAOTIE_DATABASE_URL": database_url,
        "LAOTIE_LIVE_STATE_URL": redis_url,
    }
    cluster = Cluster(env, app_key)
    try:
        cluster.wait_until_serving()
        start_ms = int(time.time() * 1000)

        # feed pages from every process: each carries ad placements from the shared campaign
        with ThreadPoolExecutor(8) as pool:
            pages = list(pool.map(lambda n: cluster.page(n % SERVERS, f"u{n}"), range(USERS)))
        served = [
            (page["user_id"], entry["impression_id"])
            for page in pages
            for entry in page["entries"]
            if entry.get("type") == "ad"
        ]
        assert len(served) >= USERS, f"only {len(served)} ads on {USERS} pages"
        now_ms = int(time.time() * 1000)
        impressions = [_ad_event("ad_impression", "imp", u, i, now_ms) for u, i in served]
        for n in range(0, len(impressions), 20):
            cluster.send(n // 20 % SERVERS, impressions[n : n + 20])

        # a budget a third of what clicking every placement would cost
        services = build_services(settings)
        try:
            # what clicking every placement would cost, read from the shared placement book
            prices = [services.ads.serving.server.placements.get(i) for _, i in served]
            assert all(p is not None for p in prices), "a served placement is not shared"
            demand = sum(p.click_price_fen for p in prices if p is not None)
            budget = demand // 3
            dearest = max(p.click_price_fen for p in prices if p is not None)
            services.ads.accounts.update_campaign("c1", CampaignUpdate(daily_budget_fen=budget))
        finally:
            services.close()

        # clicks: each placement once, a client retry of some on another process (same ids),
        # and a second click with a new id on some impressions; process 3 dies halfway
        clicks = [_ad_event("ad_click", "click", u, i, now_ms) for u, i in served]
        batches = [clicks[n : n + 6] for n in range(0, len(clicks), 6)]
        batches += [[dict(e) for e in batch] for batch in batches[::3]]  # the retries
        batches += [
            [_ad_event("ad_click", "again", u, i, now_ms) for u, i in served[n : n + 6]]
            for n in range(0, len(served), 24)
        ]
        half = len(batches) // 2
        with ThreadPoolExecutor(SERVERS * 2) as pool:
            list(pool.map(lambda n: cluster.send(n % SERVERS, batches[n]), range(half)))
        cluster.kill(3)
        with ThreadPoolExecutor(SERVERS * 2) as pool:
            list(
                pool.map(lambda n: cluster.send(n % SERVERS, batches[n]), range(half, len(batches)))
            )

        # a watch accepted by process 0 leaves process 2's next page within a second
        before = [e["id"] for e in cluster.page(1, "watcher", preview=True)["entries"] if "id" in e]
        watched = before[:2]
        watch_ms = int(time.time() * 1000)
        cluster.send(
            0,
            [
                {"id": f"w-{item}", "type": "watch", "user_id": "watcher", "item_id": item,
                 "ts_ms": watch_ms, "watch_ms": 20_000, "duration_ms": 20_000}
                for item in watched
            ],
        )  # fmt: skip
        acknowledged_at = time.monotonic()

        def shows_watched(offset_s: float) -> bool:
            time.sleep(max(0.0, acknowledged_at + offset_s - time.monotonic()))
            page = cluster.page(2, "watcher", preview=True)
            return bool({e.get("id") for e in page["entries"]} & set(watched))

        # pages asked of process 2 at these times after the acknowledgement, each on its own
        # (a page takes a while on a busy machine; its request starts on time)
        offsets = [0.0, 0.25, 0.5, 0.75, 1.0]
        with ThreadPoolExecutor(len(offsets)) as pool:
            stale = dict(zip(offsets, pool.map(shows_watched, offsets), strict=True))
        assert not stale[1.0], f"a page asked 1 s after the watch still showed it: {stale}"
    finally:
        cluster.stop()

    services = build_services(settings)
    try:
        with services.db.session() as session:
            stored = set(session.scalars(select(Event.client_event_id)))
        lost = cluster.acknowledged - stored
        assert not lost, f"{len(lost)} acknowledged events were lost, e.g. {sorted(lost)[:5]}"
        # the periodic settle charges what a killed process acknowledged but never charged
        services.ads.charging.settle(since_ms=start_ms)
        day = day_label(now_ms, services.settings.timezone)
        with services.db.session() as session:
            campaign = ads_repo.get_campaign(session, external_id="c1")
            spent = ads_repo.spend_by_campaign(session, day=day)[campaign.id]
        report = services.ads.reports.report(group_by=["campaign"])[0]
        assert spent <= budget * 1.01
        # the budget stopped the spending, not the demand (3 budgets' worth of clicks); a
        # reservation the killed process held when it died stays counted for the day, so the
        # campaign may stop a click or two short of its budget, never past it (with a budget of
        # a few clicks a 0.9 bound failed on one click short: 175 of 200 fen)
        assert spent >= budget - 2 * dearest, (spent, budget, dearest)
        assert report.clicks == len(served)  # each impression's click counted once
        assert report.spend_fen == spent
        assert services.ads.reports.reconcile()["ok"]
    finally:
        services.close()
