"""A small simulated platform, console accounts for every role, and a live HTTP server.

The world is made by the simulator through the real services (3 days ending yesterday), so
the Overview, Ads and Catalog pages show real KPIs, campaigns and items; a spam upload sits in
the trust queue and a team has a manager and a member.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from laotie.api import create_app
from laotie.core.catalog import ItemCreate
from laotie.core.clock import ManualClock
from laotie.core.settings import load_settings
from laotie.insights.schemas import MemberCreate, OrgCreate, TeamCreate
from laotie.insights.team_access import ADMIN
from laotie.sim import SimConfig, Simulation, load_config
from laotie.sim.runner import start_ms_of
from laotie.store.repos import console as accounts
from laotie.trust.spin import stuff
from laotie.wiring import Services, build_services

from .browser import CHROMIUM_FLAGS, chromium_or_skip

PASSWORD = "correct horse battery"
CREATOR = "sim-c00000"
ADVERTISER = "sim-adv0"
MEMBER, MANAGER = "sim-u000001", "sim-u000002"
#: user name -> (role, scope)
ACCOUNTS = {
    "admin": ("admin", None),
    "creator": ("creator", CREATOR),
    "advertiser": ("advertiser", ADVERTISER),
    "member": ("app", f"person:{MEMBER}"),
    "manager": ("app", f"person:{MANAGER}"),
}
#: a text with a stuffed contact phrase and pirate-site residue: the trust gate sends it to review
SPAM_BASE = (
    "清晨的集市刚刚开张，卖豆浆的老人支起了摊子。巷口的猫懒洋洋地晒着太阳。"
    "年轻的邮差骑车穿过石桥，把一封旧信送到了茶馆。茶馆老板眯着眼读完，叹了口气。"
    "午后下起小雨，行人纷纷躲进屋檐下，只有孩子们还在水洼里踩来踩去。"
)
SPAM_TEXT = (
    stuff(SPAM_BASE, times=10, phrase="加微信领福利", seed=1)
    + "\n天才一秒记住本站地址：www.biquge.la\n上一章 | 返回目录 | 下一章\n（本章完）"
)


def _config() -> SimConfig:
    start = date.today() - timedelta(days=3)
    config = load_config(users=60, days=3, policy="popular", seed=3, start=start.isoformat())
    data = config.model_dump()
    data["world"].update(
        creators=30,
        videos=300,
        series=2,
        episodes_min=30,
        episodes_max=34,
        novels=1,
        chapters_min=20,
        chapters_max=22,
        games=8,
    )
    data["run"]["ad_campaigns"] = 4
    return SimConfig.model_validate(data)


def _populate(services: Services) -> None:
    now = services.clock.now_ms()
    with services.db.session() as session:
        for name, (role, scope) in ACCOUNTS.items():
            accounts.create_user(
                session, username=name, password=PASSWORD, role=role, scope=scope, now_ms=now
            )
    programme = services.insights.programme
    programme.create_org(OrgCreate(id="org1", name="老铁工作室"), viewer=ADMIN)
    programme.create_team(TeamCreate(id="team1", org_id="org1", name="剪辑组"), viewer=ADMIN)
    programme.add_member("team1", MemberCreate(user_id=MANAGER, role="manager"), viewer=ADMIN)
    programme.add_member("team1", MemberCreate(user_id=MEMBER, display_name="小王"), viewer=ADMIN)
    item = ItemCreate.model_validate(
        {
            "id": "spam1",
            "kind": "video",
            "creator_id": CREATOR,
            "title": "福利来了",
            "caption": SPAM_TEXT,
        }
    )
    _, screening = services.trust.screening.upload(item)
    assert screening.decision == "review", screening.as_dict()


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Services on a home holding a 3-day simulated platform, a trained feed model and the
    console accounts (built once per test session)."""
    home = tmp_path_factory.mktemp("console") / "home"
    settings = load_settings(home=home)
    config = _config()
    simulated = build_services(settings, clock=ManualClock(start_ms_of(config)))
    Simulation(config, simulated).run()
    simulated.close()
    services = build_services(settings)
    services.feed.train()  # as the nightly worker would: the feed and Operations show a model
    _populate(services)
    yield services
    services.close()


@pytest.fixture(scope="session")
def app_client(world: Services) -> Iterator[TestClient]:
    """A client of the API + console app on the world (not signed in)."""
    with TestClient(create_app(world)) as client:
        yield client


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign ``client`` in through the form, as a browser does (CSRF cookie and field)."""
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token, page.text
    response = client.post(
        "/login",
        data={"csrf_token": token.group(1), "username": username, "password": password},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


def csrf_of(html: str) -> str:
    """The session's CSRF token as a page carries it."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


@dataclass
class LiveServer:
    """The app served by uvicorn on a local port in a thread."""

    url: str
    services: Services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(world: Services) -> Iterator[LiveServer]:
    """A real HTTP server for the browser tests; stopped when the module's tests end."""
    port = _free_port()
    config = uvicorn.Config(create_app(world), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the console server did not start in 20 s")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", world)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """A headless Chromium for the module's tests."""
    executable = chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()
