"""Ledger properties under random traffic, event orders, duplicates and replays (real SQLite,
real event log): the ledger always balances, no charge without an event, replays change
nothing, money never moves twice or in part, balances never go negative."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from laotie.ads import AdsService, AdvertiserCreate, CampaignCreate, CreativeCreate, TopUp
from laotie.core.clock import ManualClock
from laotie.core.contracts import AdRequest
from laotie.core.events import EVENT_CODES
from laotie.core.settings import load_settings
from laotie.store.db import Database
from laotie.store.delivery import Subscription
from laotie.store.eventlog import EventLog
from laotie.store.tables import AdAdvertiser, AdJournal, AdOutcome, Event

START_MS = 1_790_000_000_000
KINDS = ("ad_impression", "ad_click", "ad_conversion")


def _setup(service: AdsService) -> None:
    service.accounts.create_advertiser(AdvertiserCreate(id="rich", name="Rich"))
    service.accounts.create_advertiser(AdvertiserCreate(id="poor", name="Poor"))
    service.accounts.top_up("rich", TopUp(amount_fen=1_000_000, idempotency_key="t-rich"))
    service.accounts.top_up("poor", TopUp(amount_fen=120, idempotency_key="t-poor"))
    plans = [
        ("cpc", "rich", "clicks", 50, 300),
        ("cpm", "rich", "impressions", 4000, 10_000),
        ("ocpc", "poor", "conversions", 900, 100_000),
        ("cpc-poor", "poor", "clicks", 40, 100_000),
    ]
    for cid, owner, objective, bid, budget in plans:
        service.accounts.create_campaign(
            CampaignCreate(
                id=cid,
                advertiser_id=owner,
                name=cid,
                objective=objective,
                bid_fen=bid,
                daily_budget_fen=budget,
                frequency_cap=1000,
            )
        )
        service.accounts.add_creatives(
            cid, [CreativeCreate(id=f"{cid}-a", title="a", landing_url="https://example.com/a")]
        )


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("template")
    db = Database(f"sqlite:///{home / 'laotie.db'}")
    db.migrate()
    service = AdsService(db, settings=load_settings(home=home), clock=ManualClock(START_MS))
    _setup(service)
    db.dispose()
    return home / "laotie.db"


ops = st.lists(
    st.one_of(
        st.tuples(st.just("fill"), st.integers(0, 30)),
        st.tuples(st.just("event"), st.sampled_from(KINDS), st.integers(0, 200), st.booleans()),
        st.tuples(st.just("unknown"), st.sampled_from(KINDS)),
        st.tuples(st.just("topup"), st.integers(1, 500), st.integers(0, 3)),
        st.tuples(st.just("replay")),
    ),
    min_size=1,
    max_size=60,
)


def _state(db: Database) -> tuple:
    with db.session() as session:
        balances = tuple(
            session.scalars(select(AdAdvertiser.balance_fen).order_by(AdAdvertiser.id))
        )
        journals = len(session.scalars(select(AdJournal.id)).all())
        outcomes = len(session.scalars(select(AdOutcome.id)).all())
    return balances, journals, outcomes


@given(ops)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_ledger_invariants(template: Path, tmp_path_factory: pytest.TempPathFactory, operations):
    home = tmp_path_factory.mktemp("run")
    shutil.copy(template, home / "laotie.db")
    db = Database(f"sqlite:///{home / 'laotie.db'}")
    clock = ManualClock(START_MS + 1000)
    service = AdsService(db, settings=load_settings(home=home), clock=clock, random_state=0)
    log = EventLog(db, clock=clock)
    log.subscribe(Subscription("ads", service.on_events))
    served: list = []
    sent: list[dict] = []
    for n, op in enumerate(operations):
        clock.advance(1000)
        if op[0] == "fill":
            served += service.serving.fill(
                AdRequest(
                    user_id=op[1],
                    user_external_id=f"u{op[1]}",
                    request_id=f"r{n}",
                    slot_positions=[1, 5, 9],
                    now_ms=clock.now_ms(),
                    context={},
                )
            )
        elif op[0] in ("event", "unknown") and (served or op[0] == "unknown"):
            ref = served[op[2] % len(served)].impression_id if op[0] == "event" else "imp_nope"
            event = {
                "id": f"e{n}",
                "type": op[1],
                "user_id": "u1",
                "ts_ms": clock.now_ms(),
                "ref": ref,
            }
            batch = [event, {**event, "id": f"e{n}b"}] if op[0] == "event" and op[3] else [event]
            log.ingest(batch)
            sent += batch
        elif op[0] == "topup":
            owner = "rich" if op[2] % 2 else "poor"
            service.accounts.top_up(owner, TopUp(amount_fen=op[1], idempotency_key=f"k{n}"))
            # the same key again moves no money
            service.accounts.top_up(owner, TopUp(amount_fen=op[1], idempotency_key=f"k{n}"))
        elif op[0] == "replay" and sent:
            before = _state(db)
            log.ingest(sent)  # already stored: duplicates
            service.on_events(_as_stored(db))  # even if a subscriber sees them again
            assert _state(db) == before

    check = service.reports.reconcile()
    assert check["ok"], check
    assert check["trial_balance_fen"] == 0
    by_ref = {p.impression_id: p for p in served}
    with db.session() as session:
        events = {(e.type, e.ref) for e in session.scalars(select(Event))}
        for row in session.scalars(select(AdOutcome)):
            # no outcome (hence no charge) without an event naming that impression
            assert (EVENT_CODES[f"ad_{row.kind}"], row.impression_id) in events
            placement = by_ref[row.impression_id]
            if row.kind == "click" and placement.extra["billing"] == "click":
                # all of the price or nothing, never part of it
                assert row.amount_fen in (0, placement.extra["click_price_fen"])
                assert (row.amount_fen == 0) == (row.note is not None)
            elif row.kind != "impression" or placement.extra["billing"] != "impression":
                assert row.amount_fen == 0
        for journal in session.scalars(select(AdJournal).where(AdJournal.kind == "charge")):
            kind, _, ref = journal.txn_key.partition(":")
            assert (EVENT_CODES[f"ad_{kind}"], ref) in events
    db.dispose()


def _as_stored(db: Database) -> list:
    from types import SimpleNamespace

    from laotie.core.events import EVENT_NAMES

    with db.session() as session:
        return [
            SimpleNamespace(
                type=EVENT_NAMES[e.type],
                ref=e.ref,
                ts_ms=e.ts_ms,
                user_id=e.user_id,
                client_event_id=e.client_event_id,
            )
            for e in session.scalars(select(Event))
        ]
