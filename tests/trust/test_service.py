"""The trust service end to end on a real SQLite home: uploads, copies, gate, queue, events."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.contracts import TrustDecision, TrustGate
from laotie.core.errors import InvalidInput, NotFound
from laotie.core.events import EVENT_CODES
from laotie.core.kinds import AigcStatus
from laotie.media import read_label
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.store.tables import Event
from laotie.trust import TrustPolicy, TrustService
from laotie.trust import gate as trust_gate
from laotie.trust.spin import spin, stuff
from laotie.wiring import Services

from .fixtures import CLASSICAL, MODERN, labelled_image, stripped_copy


@pytest.fixture
def trust(services: Services) -> TrustService:
    with services.db.session() as session:
        for name in ("alice", "bob"):
            catalog.create_creator(session, creator=CreatorCreate(id=name, name=name))
    return services.trust


def _item(item_id: str, creator: str, caption: str, **extra: object) -> ItemCreate:
    return ItemCreate(
        id=item_id, kind="video", creator_id=creator, title=item_id, caption=caption, **extra
    )


def _trust_events(services: Services) -> list[Event]:
    with services.db.session() as session:
        query = select(Event).where(Event.type == EVENT_CODES["trust_decision"])
        return list(session.scalars(query.order_by(Event.id)))


def test_migration_creates_trust_tables(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    db.migrate()
    assert {"trust_records", "trust_fingerprints"} <= set(db.table_names())
    db.dispose()


def test_service_is_a_trust_gate(trust: TrustService):
    gate: TrustGate = trust.gate
    assert gate.decisions([]) == {}
    assert gate.decisions([12345]) == {}


def test_copy_of_another_creator_is_demoted_and_credited(services: Services, trust: TrustService):
    _, first = trust.screening.upload(_item("orig", "alice", CLASSICAL))
    assert first.decision == TrustDecision.ALLOW
    _, copy = trust.screening.upload(_item("copy", "bob", spin(CLASSICAL, rate=0.15, seed=1)))
    assert copy.decision == TrustDecision.DEMOTE
    assert copy.original and copy.original.item_external_id == "orig"
    assert copy.original.creator_external_id == "alice"
    assert "credit stays with them" in copy.reasons[0]
    _, exact = trust.screening.upload(_item("exact", "bob", CLASSICAL))
    assert exact.decision == TrustDecision.BLOCK
    _, own = trust.screening.upload(_item("again", "alice", CLASSICAL + "\n（重发）"))
    assert own.decision == TrustDecision.DEMOTE and "own" in own.reasons[0]
    with services.db.session() as session:
        ids = catalog.item_ids(session, external_ids=["orig", "copy", "exact", "again"])
    gate = trust.gate.decisions(list(ids.values()))
    assert ids["orig"] not in gate
    assert gate[ids["copy"]] == TrustDecision.DEMOTE
    assert gate[ids["exact"]] == TrustDecision.BLOCK
    record = trust.review.record("copy")
    assert record["original_item_id"] == "orig" and record["similarity"] >= 0.5
    assert len(_trust_events(services)) == 4


def test_index_survives_a_restart(services: Services, trust: TrustService):
    trust.screening.upload(_item("orig", "alice", CLASSICAL))
    fresh = TrustService(services.db, media_dir=trust.media_dir, clock=services.clock)
    assert fresh.screening.check_text(CLASSICAL).original.item_external_id == "orig"


def test_gate_sees_decisions_at_once_here_and_within_a_refresh_from_elsewhere(
    services: Services, trust: TrustService, monkeypatch: pytest.MonkeyPatch
):
    trust.screening.upload(_item("orig", "alice", CLASSICAL))
    with services.db.session() as session:
        orig = catalog.item_ids(session, external_ids=["orig"])["orig"]
    assert trust.gate.decisions([orig]) == {}
    monkeypatch.setattr(trust_gate, "GATE_REFRESH_S", 3600.0)
    trust.review.decide("orig", "block", reviewer="mod-1")
    assert trust.gate.decisions([orig]) == {orig: TrustDecision.BLOCK}  # this process: at once
    # another process (a second service on the same database) reviews the item again
    other = TrustService(services.db, media_dir=trust.media_dir, clock=services.clock)
    other.review.decide("orig", "demote", reviewer="mod-2")
    assert trust.gate.decisions([orig]) == {orig: TrustDecision.BLOCK}  # until the next refresh
    monkeypatch.setattr(trust_gate, "GATE_REFRESH_S", 0.0)
    assert trust.gate.decisions([orig]) == {orig: TrustDecision.DEMOTE}
    other.review.decide("orig", "allow", reviewer="mod-2")
    assert trust.gate.decisions([orig]) == {}


def test_spam_goes_to_review_and_reviewer_decides(services: Services, trust: TrustService):
    residue = "\n天才一秒记住本站地址：www.biquge.la\n上一章 | 返回目录 | 下一章"
    bad = stuff(CLASSICAL, times=10, phrase="加微信领福利", seed=2) + residue
    _, screening = trust.screening.upload(_item("spam", "bob", bad))
    assert screening.decision == TrustDecision.REVIEW
    assert any("keyword_stuffing" in r for r in screening.reasons)
    entries, cursor = trust.review.queue()
    assert [e["item_id"] for e in entries] == ["spam"] and cursor is None
    decided = trust.review.decide("spam", "block", reviewer="mod-1", note="stuffed ad")
    assert decided["decision"] == "block" and decided["review_state"] == "resolved"
    assert trust.review.queue()[0] == []
    events = _trust_events(services)
    assert [e.value for e in events] == [2.0, 3.0]
    with pytest.raises(InvalidInput):
        trust.review.decide("spam", "maybe", reviewer="mod-1")
    with pytest.raises(NotFound):
        trust.review.decide("nope", "allow", reviewer="mod-1")


def test_upload_with_labelled_image_confirms_and_writes_propagator(
    tmp_path: Path, services: Services, trust: TrustService
):
    source = labelled_image(tmp_path / "art.png")
    item, screening = trust.screening.upload(_item("img1", "alice", "一张图"), media_source=source)
    assert item.aigc_status == AigcStatus.CONFIRMED
    assert screening.label.notice == "AI生成"
    stored = read_label(Path(item.media_path)).label
    assert stored.ContentPropagator == "laotie" and stored.PropagateID == "img1"
    assert stored.ContentProducer == "laotie-studio"
    assert item.aigc_label["PropagateID"] == "img1"
    stripped = stripped_copy(source, tmp_path / "copy.png")
    item2, copy = trust.screening.upload(_item("img2", "bob", "另一张图"), media_source=stripped)
    assert item2.aigc_status == AigcStatus.SUSPECTED
    assert (
        copy.original and copy.original.item_external_id == "img1" and copy.original.by == "media"
    )


def test_declared_text_and_bad_upload(tmp_path: Path, trust: TrustService):
    item, _ = trust.screening.upload(_item("d1", "alice", MODERN), declared=True)
    assert item.aigc_status == AigcStatus.DECLARED
    assert item.aigc_label["Label"] == "2"
    bad = tmp_path / "x.exe"
    bad.write_bytes(b"MZ")
    with pytest.raises(InvalidInput) as err:
        trust.screening.upload(_item("d2", "alice", "x"), media_source=bad)
    assert err.value.field == "file"


def test_policy_validation():
    with pytest.raises(InvalidInput):
        TrustPolicy(copy_action=TrustDecision.ALLOW)


def test_client_named_paths_are_never_read_or_written(
    tmp_path: Path, services: Services, trust: TrustService
):
    outside = labelled_image(tmp_path / "outside.png")
    before = outside.read_bytes()
    item, screening = trust.screening.upload(_item("p1", "alice", "路径", media_path=str(outside)))
    assert item.media_path is None and screening.label.status == AigcStatus.NONE
    with services.db.session() as session:
        catalog.create_item(session, item=_item("p2", "alice", "路径", media_path=str(outside)))
    assert trust.screening.screen("p2").label.status == AigcStatus.NONE
    assert outside.read_bytes() == before


def test_record_explains_a_stuffed_article_and_an_article_about_aigc_stays_unlabelled(
    trust: TrustService,
):
    from .modern_texts import AIGC_ARTICLE, SUBJECT_ARTICLE, stuff_name

    stuffed = stuff_name(SUBJECT_ARTICLE, "张伟", times=15, seed=1)
    _, screening = trust.screening.upload(_item("stuffed", "alice", stuffed))
    assert screening.decision == TrustDecision.DEMOTE
    reasons = trust.review.record("stuffed")["reasons"]
    line = next(r for r in reasons if r.startswith("keyword_stuffing"))
    assert ">= threshold 0.50" in line and "'张伟'@" in line and "repeated 15 times" in line
    _, about_ai = trust.screening.upload(_item("about-ai", "bob", AIGC_ARTICLE))
    assert about_ai.label.status == AigcStatus.NONE
    assert about_ai.decision == TrustDecision.ALLOW and about_ai.reasons == ()
