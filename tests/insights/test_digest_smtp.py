"""Digests delivered to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from datetime import date
from email import policy

import pytest
from aiosmtpd.controller import Controller

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import ManualClock
from laotie.core.settings import load_settings
from laotie.insights import SmtpConfig, Viewer
from laotie.insights.schemas import MemberCreate, OrgCreate, TeamCreate
from laotie.insights.team_access import ADMIN
from laotie.insights.teams import TeamProgramme
from laotie.store.repos import catalog
from laotie.wiring import build_services

from .conftest import local_ms

DAY = "2026-03-02"


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def world(tmp_path, monkeypatch, smtp_server):
    _, port = smtp_server
    monkeypatch.delenv("LAOTIE_HOME", raising=False)
    settings = load_settings(
        home=tmp_path / "home", smtp_host="127.0.0.1", smtp_port=port, smtp_sender="bot@laotie"
    )
    services = build_services(settings, clock=ManualClock(local_ms("2026-03-03 08:00:00")))
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.create_item(s, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="t"))
    services.events.ingest(
        [
            {
                "id": f"w{n}",
                "type": "watch",
                "user_id": user,
                "item_id": "v1",
                "ts_ms": local_ms(f"{DAY} 1{n}:00:00"),
                "watch_ms": minutes * 60_000,
                "duration_ms": minutes * 60_000,
            }
            for n, (user, minutes) in enumerate([("ann", 65), ("ben", 20), ("cat", 90)])
        ]
    )
    programme = services.insights.programme
    programme.create_org(OrgCreate(id="o1", name="org"), viewer=ADMIN)
    programme.create_team(TeamCreate(id="t1", org_id="o1", name="推荐组"), viewer=ADMIN)
    for user, role in [("ann", "member"), ("ben", "member"), ("cat", "member"), ("meg", "manager")]:
        member = MemberCreate(user_id=user, role=role, email=f"{user}@example.com")
        programme.add_member("t1", member, viewer=ADMIN)
    yield services
    services.close()


def test_digest_is_emailed_once_without_opted_out_members(world, smtp_server) -> None:
    inbox, _ = smtp_server
    programme = world.insights.programme
    programme.set_opt_out("t1", "cat", opted_out=True, viewer=Viewer(user_id="cat"))

    run = programme.digests.send_digests()  # default: yesterday in Asia/Shanghai = 2026-03-02
    assert (run.day, run.sent, run.failed) == (DAY, 1, 0)
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "meg@example.com"
    assert message["From"] == "bot@laotie"
    assert "推荐组" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "ann" in html and "ben" in html
    assert "cat" not in html and "90" not in html  # nothing about the opted-out member
    assert "1/2" in html  # one of the two reported members met the 60-minute goal

    again = programme.digests.send_digests()
    assert (again.sent, again.already_sent) == (0, 1)
    assert len(inbox.messages) == 1
    shown = programme.digests.digest(
        "t1", "meg", day=date.fromisoformat(run.day), viewer=Viewer(user_id="meg")
    )
    assert shown.status == "sent"


def test_nothing_is_sent_when_every_member_opted_out(world, smtp_server) -> None:
    inbox, _ = smtp_server
    programme = world.insights.programme
    for user in ("ann", "ben", "cat"):
        programme.set_opt_out("t1", user, opted_out=True, viewer=ADMIN)
    run = programme.digests.send_digests()
    assert (run.sent, run.skipped) == (0, 1)
    assert inbox.messages == []


def test_unreachable_smtp_server_is_recorded_as_failed(world) -> None:
    dead = TeamProgramme(
        world.db,
        world.lake,
        world.clock,
        tz="Asia/Shanghai",
        smtp=SmtpConfig("127.0.0.1", _free_port()),
    )
    run = dead.digests.send_digests()
    assert (run.sent, run.failed) == (0, 1)
    assert "SMTP 127.0.0.1" in run.errors[0]
