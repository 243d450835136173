"""The trust service: screens uploads, keeps the fingerprint indexes, answers the feed's gate.

``TrustService`` implements ``core.contracts.TrustGate``. Screening an item runs label
verification, the spam checks and the near-duplicate search, stores the decision and the
item's fingerprints, writes the platform's label into the item (and its media file), and
records the decision as a ``trust_decision`` event.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy.orm import Session

from laotie.core.catalog import ItemCreate, ItemPublic, ItemUpdate
from laotie.core.clock import Clock, SystemClock
from laotie.core.contracts import TrustDecision
from laotie.core.errors import InvalidInput, LaotieError
from laotie.core.ids import new_id
from laotie.core.kinds import AigcStatus
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.store.repos import trust as repo
from laotie.store.tables import Item
from laotie.trust.labels import (
    LabelVerdict,
    embedded_text_label,
    read_docx,
    verify,
    write_label,
)
from laotie.trust.neardup import DEFAULT_THRESHOLD, TextIndex
from laotie.trust.phash import IMAGE_SUFFIXES, VIDEO_SUFFIXES, MediaIndex, media_phashes
from laotie.trust.spam import CheckResult, check_text, explain_check
from laotie.trust.textfeat import normalize, simhash64, tokens

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
_SEVERITY = DECISION_CODES
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
#: how often, in seconds, the gate looks for decisions another process saved
GATE_REFRESH_S = 1.0


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


@dataclass(frozen=True)
class _Fingerprints:
    minhash: np.ndarray | None
    simhash: int | None
    phashes: list[int]


class TrustService:
    """Label verification, originality, spam checks and the feed gate over one database."""

    def __init__(
        self,
        db: Database,
        *,
        media_dir: Path,
        media_root: Path | None = None,
        clock: Clock | None = None,
        events: EventSink | None = None,
        policy: TrustPolicy | None = None,
        propagator: str = "laotie",
        announce: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        #: tells other serving processes that decisions changed (``forget_decisions`` there)
        self.announce = announce
        self.media_dir = media_dir
        #: only media under this folder (the data dir) is read and labelled
        self.media_root = media_root or media_dir
        self.clock = clock or SystemClock()
        self.events = events
        self.policy = policy or TrustPolicy()
        self.propagator = propagator
        self._lock = threading.RLock()
        self._text_index: TextIndex | None = None
        self._media_index = MediaIndex()
        self._creators: dict[int, int] = {}
        self._gate: dict[int, TrustDecision] | None = None
        self._gate_stamp: tuple[int, int] | None = None
        self._gate_checked = 0.0
        self._gate_lock = threading.Lock()

    def _inside_home(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.media_root.resolve())

    # --- the feed's gate ----------------------------------------------------------------------

    def decisions(self, item_ids: Sequence[int]) -> Mapping[int, TrustDecision]:
        """Decisions other than allow for the given internal item ids (absent: allow).

        Answered from memory: every non-allow decision, reloaded at once after this process
        saves one, and within ``GATE_REFRESH_S`` after another process does (at once where
        the processes share a live state: the change is announced there)."""
        gate = self._gate_view()
        if not gate:
            return {}
        return {item_id: gate[item_id] for item_id in item_ids if item_id in gate}

    def hold(self, session: Session, item_ids: Sequence[int]) -> None:
        """Withhold new items from the feed until ``screen`` decides on them; called by the
        catalog door in the transaction that creates them."""
        repo.hold(session, item_ids=item_ids, now_ms=self.clock.now_ms())
        self._decisions_changed()

    def _gate_view(self) -> dict[int, TrustDecision]:
        gate, now = self._gate, time.monotonic()
        if gate is not None and now - self._gate_checked < GATE_REFRESH_S:
            return gate
        with self._gate_lock:
            with self.db.session() as session:
                stamp = repo.decision_stamp(session)
                if self._gate is None or stamp != self._gate_stamp:
                    found = repo.gated(session)
                    self._gate = {item: TrustDecision(value) for item, value in found.items()}
                    self._gate_stamp = stamp
            self._gate_checked = now
            return self._gate

    def _decisions_changed(self) -> None:
        """Called after a decision is committed: the next gate call reloads them, here and,
        once announced, in every other serving process."""
        self.forget_decisions()
        if self.announce is not None:
            try:
                self.announce()
            except LaotieError as exc:  # the others still reload within GATE_REFRESH_S
                log.warning("could not announce a trust decision change: %s", exc)

    def forget_decisions(self) -> None:
        """Drop the cached decisions (another process changed them): the next gate call
        reads them again."""
        with self._gate_lock:
            self._gate = None

    # --- indexes ------------------------------------------------------------------------------

    def _indexes(self) -> tuple[TextIndex, MediaIndex]:
        with self._lock:
            if self._text_index is None:
                index = TextIndex(threshold=self.policy.text_threshold)
                keys, signatures = [], []
                with self.db.session() as session:
                    for row in repo.fingerprints(session):
                        self._creators[row.item_id] = row.creator_id
                        if row.minhash is not None and len(row.minhash) == index.num_perm:
                            keys.append(row.item_id)
                            signatures.append(row.minhash)
                        if row.phashes:
                            self._media_index.add(row.item_id, row.phashes)
                if keys:
                    index.add_many(keys, np.stack(signatures))
                self._text_index = index
                log.info("trust index loaded: %d texts", len(keys))
            return self._text_index, self._media_index

    def _fingerprints(self, text: str, media: Path | None) -> _Fingerprints:
        text_index, _ = self._indexes()
        minhash = simhash = None
        if len(normalize(text)) >= self.policy.min_fingerprint_chars:
            minhash = text_index.signature(text)
            simhash = simhash64(tokens(text))
        phashes = media_phashes(media) if media is not None else []
        return _Fingerprints(minhash, simhash, phashes)

    def _duplicates(
        self, prints: _Fingerprints, *, exclude: int | None
    ) -> list[tuple[int, float, str]]:
        text_index, media_index = self._indexes()
        found: dict[int, tuple[float, str]] = {}
        if prints.minhash is not None:
            for match in text_index.query(prints.minhash, exclude=exclude):
                found[match.key] = (match.similarity, "text")
        if prints.phashes:
            for media in media_index.query(
                prints.phashes, min_share=self.policy.media_min_share, exclude=exclude
            ):
                if media.share > found.get(media.key, (0.0, ""))[0]:
                    found[media.key] = (media.share, "media")
        return [(key, sim, by) for key, (sim, by) in found.items()]

    # --- checks without side effects ----------------------------------------------------------

    def check_text(
        self,
        text: str,
        *,
        declared: bool = False,
        supplied_label: dict[str, Any] | None = None,
    ) -> Screening:
        """Screen a text (spam checks, AIGC traces, near-duplicates) without storing anything."""
        if not text.strip():
            raise InvalidInput("text must not be empty", field="text")
        label = verify(
            texts=(text,),
            supplied_label=supplied_label,
            declared=declared,
            propagator=self.propagator,
            propagate_id="",
        )
        return self._decide(text, None, label, creator_id=None, exclude=None)[0]

    def check_file(self, path: Path, *, declared: bool = False) -> Screening:
        """Screen a file: text files by content, images/videos by label, notice and pHash."""
        if not path.is_file():
            raise InvalidInput(f"no such file: {path}", field="file")
        suffix = path.suffix.lower()
        if suffix in MEDIA_SUFFIXES:
            label = verify(
                media_path=path,
                declared=declared,
                filename=path.name,
                propagator=self.propagator,
                propagate_id="",
            )
            return self._decide("", path, label, creator_id=None, exclude=None)[0]
        if suffix == ".docx":
            text, embedded = read_docx(path)
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"{path} is neither UTF-8 text, DOCX nor a supported image/video "
                    f"({', '.join(sorted(MEDIA_SUFFIXES))})",
                    field="file",
                ) from exc
            embedded = embedded_text_label(text)
        return self.check_text(text, declared=declared, supplied_label=embedded)

    # --- screening stored items ---------------------------------------------------------------

    def upload(
        self,
        item: ItemCreate,
        *,
        media_source: Path | None = None,
        declared: bool = False,
    ) -> tuple[ItemPublic, Screening]:
        """Create a catalog item from an upload, then screen it (labels are written back)."""
        media_path = None
        # a client never names a server path: only a file stored here becomes the media
        item = item.model_copy(update={"media_path": None})
        if media_source is not None:
            suffix = media_source.suffix.lower()
            if suffix not in MEDIA_SUFFIXES:
                raise InvalidInput(
                    f"unsupported media type {suffix!r}",
                    field="file",
                    limit=sorted(MEDIA_SUFFIXES),
                )
            media_path = self.media_dir / f"{new_id('media_')}{suffix}"
            media_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(media_source, media_path)
            item = item.model_copy(update={"media_path": str(media_path)})
        try:
            with self.db.session() as session:
                self.hold(session, [catalog.create_item(session, item=item).id])
        except Exception:
            if media_path is not None:
                media_path.unlink(missing_ok=True)
            raise
        try:
            screening = self.screen(item.id, declared=declared)
        except Exception:
            if media_path is not None:
                media_path.unlink(missing_ok=True)
            with self.db.session() as session:
                catalog.delete_item(session, external_id=item.id)
            raise
        with self.db.session() as session:
            public = catalog.item_public(session, catalog.get_item(session, external_id=item.id))
        return public, screening

    def screen(self, item_external_id: str, *, declared: bool = False) -> Screening:
        """Screen a catalog item: verify labels, check text, find originals, store the decision."""
        with self.db.session() as session:
            row = catalog.get_item(session, external_id=item_external_id)
            item_id, creator_id = row.id, row.creator_id
            title, caption = row.title, row.caption
            media = Path(row.media_path) if row.media_path else None
            supplied = dict(row.aigc_label or {}) or None
            declared = declared or row.aigc_status == AigcStatus.DECLARED
        if media is not None and not (media.is_file() and self._inside_home(media)):
            # media outside the data dir (a path a client typed) is never read or written
            media = None
        text = f"{title}\n{caption}".strip()
        label = verify(
            media_path=media,
            texts=(title, caption),
            supplied_label=supplied,
            declared=declared,
            filename=media.name if media else None,
            propagator=self.propagator,
            propagate_id=item_external_id,
        )
        screening, prints = self._decide(text, media, label, creator_id=creator_id, exclude=item_id)
        screening = Screening(
            decision=screening.decision,
            reasons=screening.reasons,
            label=label,
            checks=screening.checks,
            duplicates=screening.duplicates,
            original=screening.original,
            item_external_id=item_external_id,
        )
        if media is not None and label.label and media.suffix.lower() in _WRITABLE:
            write_label(media, label.label)
        self._store(item_id, creator_id, screening, prints)
        self._emit(item_external_id, screening.decision, screening.reasons, actor=SYSTEM_USER)
        return screening

    def _decide(
        self,
        text: str,
        media: Path | None,
        label: LabelVerdict,
        *,
        creator_id: int | None,
        exclude: int | None,
    ) -> tuple[Screening, _Fingerprints]:
        checks = tuple(check_text(text)) if text else ()
        prints = self._fingerprints(text, media)
        raw = sorted(self._duplicates(prints, exclude=exclude), key=lambda d: (-d[1], d[0]))
        duplicates = self._describe(raw)
        reasons: list[str] = []
        decision = TrustDecision.ALLOW
        original = None
        if duplicates:
            # the earliest matching item is the original; later matches are copies of it
            first = min(duplicates, key=lambda d: d.item_id)
            if self._creators.get(first.item_id) != creator_id:
                original = first
                best = max(d.similarity for d in duplicates)
                exact = best >= self.policy.exact_similarity
                action = self.policy.exact_copy_action if exact else self.policy.copy_action
                decision = _worse(decision, action)
                reasons.append(
                    f"copy of {first.item_external_id} by {first.creator_external_id} "
                    f"({first.by} similarity {first.similarity:.2f}); credit stays with them"
                )
            else:
                decision = _worse(decision, TrustDecision.DEMOTE)
                reasons.append(f"re-upload of the creator's own {first.item_external_id}")
        flagged = [c for c in checks if c.flagged]
        if flagged:
            action = (
                TrustDecision.REVIEW
                if len(flagged) >= self.policy.review_flags
                else TrustDecision.DEMOTE
            )
            decision = _worse(decision, action)
            for check in flagged:
                reasons.append(explain_check(check))
        if label.status != AigcStatus.NONE:
            why = "; ".join(label.evidence[:2])
            reasons.append(f"AIGC {label.status}: {label.notice}" + (f" ({why})" if why else ""))
        screening = Screening(decision, tuple(reasons), label, checks, tuple(duplicates), original)
        return screening, prints

    def _describe(self, raw: list[tuple[int, float, str]]) -> list[DuplicateFinding]:
        if not raw:
            return []
        from sqlalchemy import select

        from laotie.store.tables import Creator

        ids = [key for key, _, _ in raw]
        with self.db.session() as session:
            rows = session.execute(
                select(Item.id, Item.external_id, Item.creator_id, Creator.external_id)
                .join(Creator, Creator.id == Item.creator_id)
                .where(Item.id.in_(ids))
            ).all()
        info = {r[0]: (r[1], r[2], r[3]) for r in rows}
        out = []
        for key, similarity, by in raw:
            if key in info:
                external, creator, creator_external = info[key]
                self._creators[key] = creator
                out.append(DuplicateFinding(key, external, creator_external, similarity, by))
        return out

    def _store(
        self, item_id: int, creator_id: int, screening: Screening, prints: _Fingerprints
    ) -> None:
        now = self.clock.now_ms()
        state = "pending" if screening.decision == TrustDecision.REVIEW else "none"
        label = screening.label
        with self.db.session() as session:
            repo.save_record(
                session,
                item_id=item_id,
                decision=str(screening.decision),
                reasons=screening.reasons,
                checks={c.check: c.as_dict() for c in screening.checks},
                aigc_status=str(label.status),
                label_found=label.found,
                duplicate_of=screening.original.item_id if screening.original else None,
                similarity=screening.original.similarity if screening.original else None,
                review_state=state,
                now_ms=now,
            )
            repo.save_fingerprint(
                session,
                item_id=item_id,
                minhash=prints.minhash,
                simhash=prints.simhash,
                phashes=prints.phashes,
                now_ms=now,
            )
            external = session.get(Item, item_id).external_id  # type: ignore[union-attr]
            catalog.update_item(
                session,
                external_id=external,
                update=ItemUpdate(aigc_status=label.status, aigc_label=label.label or {}),
            )
        self._decisions_changed()
        text_index, media_index = self._indexes()
        with self._lock:
            self._creators[item_id] = creator_id
            if prints.minhash is not None and item_id not in text_index:
                text_index.add(item_id, prints.minhash)
            if prints.phashes:
                media_index.add(item_id, prints.phashes)

    def _emit(
        self, item_external_id: str, decision: TrustDecision, reasons: Sequence[str], *, actor: str
    ) -> None:
        if self.events is None:
            return
        event = {
            "id": new_id("trust_"),
            "type": "trust_decision",
            "user_id": actor,
            "item_id": item_external_id,
            "ts_ms": self.clock.now_ms(),
            "value": float(DECISION_CODES[decision]),
            "ref": str(decision),
            "extra": {"reasons": list(reasons)[:10]},
        }
        result = self.events.ingest([event])
        if getattr(result, "rejected", 0):
            log.warning("trust_decision event rejected: %s", result.errors)

    def scan(self, *, limit: int = 1000) -> list[Screening]:
        """Screen catalog items that were never screened (created before trust, or in bulk)."""
        with self.db.session() as session:
            pending = repo.unscreened_items(session, limit=limit)
        return [self.screen(item_id) for item_id in pending]

    # --- review queue -------------------------------------------------------------------------

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
        self._decisions_changed()
        reasons = [f"reviewed by {reviewer}"] + ([note] if note else [])
        self._emit(item_external_id, verdict, reasons, actor=_actor(reviewer))
        return self.record(item_external_id)


_WRITABLE = frozenset({".png", ".jpg", ".jpeg", ".mp4", ".mov", ".m4v"})


def _worse(a: TrustDecision, b: TrustDecision) -> TrustDecision:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


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
