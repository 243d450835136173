"""A trust decision made in one process reaches another's gate at once through Redis pub/sub."""

from __future__ import annotations

import time

import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.contracts import TrustDecision
from laotie.core.live import LiveState
from laotie.store.live import open_live_state
from laotie.store.repos import catalog
from laotie.trust import TrustService
from laotie.trust import gate as trust_gate
from laotie.wiring import TRUST_DECISIONS_CHANNEL, Services

from .fixtures import CLASSICAL


def _process(services: Services, live: LiveState) -> TrustService:
    """A trust service wired as ``build_services`` wires it, on its own live-state client."""
    trust = TrustService(
        services.db,
        media_dir=services.trust.media_dir,
        clock=services.clock,
        announce=lambda: live.publish(TRUST_DECISIONS_CHANNEL, "changed"),
    )
    live.subscribe(TRUST_DECISIONS_CHANNEL, lambda _message: trust.gate.forget_decisions())
    return trust


def test_a_decision_elsewhere_reaches_this_gate_without_waiting_for_a_refresh(
    services: Services,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="alice", name="alice"))
    lives = [open_live_state(redis_url) for _ in range(2)]
    request.addfinalizer(lambda: [live.close() for live in lives])
    here, elsewhere = (_process(services, live) for live in lives)
    here.screening.upload(
        ItemCreate(id="orig", kind="video", creator_id="alice", title="o", caption=CLASSICAL)
    )
    with services.db.session() as session:
        orig = catalog.item_ids(session, external_ids=["orig"])["orig"]
    assert here.gate.decisions([orig]) == {}
    monkeypatch.setattr(trust_gate, "GATE_REFRESH_S", 3600.0)  # no polling to rescue it
    elsewhere.review.decide("orig", "block", reviewer="mod-1")
    deadline = time.monotonic() + 2.0
    while (
        here.gate.decisions([orig]) != {orig: TrustDecision.BLOCK} and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    assert here.gate.decisions([orig]) == {orig: TrustDecision.BLOCK}
