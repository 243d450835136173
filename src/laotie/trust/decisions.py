"""What trust decides and how a decision is told: the policy, a screening's outcome, and the
``trust_decision`` event every decision is logged as."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from laotie.core.contracts import TrustDecision
from laotie.core.errors import InvalidInput
from laotie.core.ids import new_id
from laotie.trust.labels import LabelVerdict
from laotie.trust.neardup import DEFAULT_THRESHOLD
from laotie.trust.spam import CheckResult

log = logging.getLogger(__name__)

#: the user id trust decisions are logged under in the event log
SYSTEM_USER = "system.trust"
#: dense codes of decisions in the ``value`` of ``trust_decision`` events
DECISION_CODES = {
    TrustDecision.ALLOW: 0,
    TrustDecision.DEMOTE: 1,
    TrustDecision.REVIEW: 2,
    TrustDecision.BLOCK: 3,
}


class EventSink(Protocol):
    """Where decisions go as events (``store.eventlog.EventLog`` satisfies it)."""

    def ingest(self, raw: Sequence[Any]) -> Any:
        """Store a batch of raw events."""
        ...


@dataclass(frozen=True)
class TrustPolicy:
    """What the gate does with each finding; similarities are estimated Jaccard / frame share."""

    #: what happens to a near-duplicate of another creator's item
    copy_action: TrustDecision = TrustDecision.DEMOTE
    #: what happens to a copy at or above ``exact_similarity``
    exact_copy_action: TrustDecision = TrustDecision.BLOCK
    exact_similarity: float = 0.9
    text_threshold: float = DEFAULT_THRESHOLD
    media_min_share: float = 0.5
    #: this many flagged spam checks send an item to human review (fewer: demote)
    review_flags: int = 2
    #: texts shorter than this (normalised characters) are not fingerprinted
    min_fingerprint_chars: int = 30

    def __post_init__(self) -> None:
        allowed = (TrustDecision.DEMOTE, TrustDecision.REVIEW, TrustDecision.BLOCK)
        for name in ("copy_action", "exact_copy_action"):
            if getattr(self, name) not in allowed:
                raise InvalidInput(f"{name} must be demote, review or block", field=name)


@dataclass(frozen=True)
class DuplicateFinding:
    """An earlier item the screened one repeats."""

    item_id: int
    item_external_id: str
    creator_external_id: str
    similarity: float
    by: str  # "text" or "media"


@dataclass(frozen=True)
class Screening:
    """The outcome of screening one item (or one file, for ``check_*``)."""

    decision: TrustDecision
    reasons: tuple[str, ...]
    label: LabelVerdict
    checks: tuple[CheckResult, ...]
    duplicates: tuple[DuplicateFinding, ...] = ()
    original: DuplicateFinding | None = None
    item_external_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "item_id": self.item_external_id,
            "decision": str(self.decision),
            "reasons": list(self.reasons),
            "aigc": self.label.as_dict(),
            "checks": [c.as_dict() for c in self.checks],
            "duplicates": [d.__dict__ for d in self.duplicates],
            "original": self.original.__dict__ if self.original else None,
            **self.extra,
        }


def worse(a: TrustDecision, b: TrustDecision) -> TrustDecision:
    """The more severe of two decisions."""
    return a if DECISION_CODES[a] >= DECISION_CODES[b] else b


def emit_decision(
    events: EventSink | None,
    *,
    item_external_id: str,
    decision: TrustDecision,
    reasons: Sequence[str],
    actor: str,
    ts_ms: int,
) -> None:
    """Log a decision as a ``trust_decision`` event (nothing without an event sink)."""
    if events is None:
        return
    event = {
        "id": new_id("trust_"),
        "type": "trust_decision",
        "user_id": actor,
        "item_id": item_external_id,
        "ts_ms": ts_ms,
        "value": float(DECISION_CODES[decision]),
        "ref": str(decision),
        "extra": {"reasons": list(reasons)[:10]},
    }
    result = events.ingest([event])
    if getattr(result, "rejected", 0):
        log.warning("trust_decision event rejected: %s", result.errors)
