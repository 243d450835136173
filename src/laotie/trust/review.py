"""The human review queue: records awaiting review, an item's record, a reviewer's decision."""

from __future__ import annotations

from typing import Any

from laotie.core.clock import Clock
from laotie.core.contracts import TrustDecision
from laotie.core.errors import InvalidInput
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.store.repos import trust as repo
from laotie.store.tables import Item
from laotie.trust.decisions import EventSink, emit_decision
from laotie.trust.gate import DecisionGate


class ReviewQueue:
    """What reviewers see and decide; each decision reaches the gate and the event log."""

    def __init__(
        self, db: Database, *, clock: Clock, events: EventSink | None, gate: DecisionGate
    ) -> None:
        self.db = db
        self.clock = clock
        self.events = events
        self.gate = gate

    def queue(
        self, *, state: str = "pending", cursor: str | None = None, limit: int = 50
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Records awaiting review (or in another ``state``), oldest first."""
        with self.db.session() as session:
            entries, next_cursor = repo.review_queue(
                session, state=state, cursor=cursor, limit=limit
            )
            return [_entry(e) for e in entries], next_cursor

    def record(self, item_external_id: str) -> dict[str, Any]:
        """The trust record of an item (decision, reasons, checks, original)."""
        with self.db.session() as session:
            row = catalog.get_item(session, external_id=item_external_id)
            record = repo.get_record(session, item_id=row.id)
            return _entry(repo.QueueEntry(record, row.external_id, row.title), session=session)

    def decide(
        self,
        item_external_id: str,
        decision: TrustDecision | str,
        *,
        reviewer: str,
        note: str | None = None,
    ) -> dict[str, Any]:
        """A reviewer's decision on an item; logged as a ``trust_decision`` event."""
        try:
            verdict = TrustDecision(decision)
        except ValueError as exc:
            raise InvalidInput(
                f"decision must be one of {[d.value for d in TrustDecision]}",
                field="decision",
                limit=[d.value for d in TrustDecision],
            ) from exc
        if not reviewer:
            raise InvalidInput("reviewer must not be empty", field="reviewer")
        with self.db.session() as session:
            row = catalog.get_item(session, external_id=item_external_id)
            repo.resolve(
                session,
                item_id=row.id,
                decision=str(verdict),
                reviewer=reviewer,
                note=note,
                now_ms=self.clock.now_ms(),
            )
        self.gate.changed()
        reasons = [f"reviewed by {reviewer}"] + ([note] if note else [])
        emit_decision(
            self.events,
            item_external_id=item_external_id,
            decision=verdict,
            reasons=reasons,
            actor=_actor(reviewer),
            ts_ms=self.clock.now_ms(),
        )
        return self.record(item_external_id)


def _actor(reviewer: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "_.:-" else "_" for ch in reviewer)
    return f"reviewer.{cleaned}"[:128]


def _entry(entry: repo.QueueEntry, *, session: Any = None) -> dict[str, Any]:
    record = entry.record
    original = None
    if record.duplicate_of is not None and session is not None:
        source = session.get(Item, record.duplicate_of)
        original = source.external_id if source else None
    return {
        "item_id": entry.item_external_id,
        "title": entry.title,
        "decision": record.decision,
        "reasons": record.reasons,
        "aigc_status": record.aigc_status,
        "review_state": record.review_state,
        "reviewer": record.reviewer,
        "note": record.note,
        "original_item_id": original,
        "similarity": record.similarity,
        "checks": record.checks,
        "label_found": record.label_found,
        "updated_at_ms": record.updated_at_ms,
    }
