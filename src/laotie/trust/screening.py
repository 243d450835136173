"""Screening: label verification, the spam checks and the near-duplicate search over an
upload, a stored item or a loose file; a stored item's decision, fingerprints and label are
saved, the label is written into its media, and the decision is logged as an event."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from laotie.core.catalog import ItemCreate, ItemPublic, ItemUpdate
from laotie.core.clock import Clock
from laotie.core.contracts import TrustDecision
from laotie.core.errors import InvalidInput
from laotie.core.ids import new_id
from laotie.core.kinds import AigcStatus
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.store.repos import trust as repo
from laotie.store.tables import Item
from laotie.trust.decisions import (
    SYSTEM_USER,
    EventSink,
    Screening,
    TrustPolicy,
    emit_decision,
    worse,
)
from laotie.trust.gate import DecisionGate
from laotie.trust.labels import (
    LabelVerdict,
    embedded_text_label,
    read_docx,
    verify,
    write_label,
)
from laotie.trust.originality import Fingerprints, OriginalityIndex
from laotie.trust.phash import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from laotie.trust.spam import check_text, explain_check

MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
_WRITABLE = frozenset({".png", ".jpg", ".jpeg", ".mp4", ".mov", ".m4v"})


class Screener:
    """Screens uploads, stored items and files against the policy; the catalog door's
    ``ItemScreen`` (``hold`` then ``screen``)."""

    def __init__(
        self,
        db: Database,
        *,
        media_dir: Path,
        media_root: Path,
        clock: Clock,
        events: EventSink | None,
        policy: TrustPolicy,
        propagator: str,
        index: OriginalityIndex,
        gate: DecisionGate,
    ) -> None:
        self.db = db
        self.media_dir = media_dir
        #: only media under this folder (the data dir) is read and labelled
        self.media_root = media_root
        self.clock = clock
        self.events = events
        self.policy = policy
        self.propagator = propagator
        self.index = index
        self.gate = gate

    def _inside_home(self, path: Path) -> bool:
        return path.resolve().is_relative_to(self.media_root.resolve())

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

    def hold(self, session: Session, item_ids: Sequence[int]) -> None:
        """Withhold new items from the feed until ``screen`` decides on them; called by the
        catalog door in the transaction that creates them."""
        repo.hold(session, item_ids=item_ids, now_ms=self.clock.now_ms())
        self.gate.changed()

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
        emit_decision(
            self.events,
            item_external_id=item_external_id,
            decision=screening.decision,
            reasons=screening.reasons,
            actor=SYSTEM_USER,
            ts_ms=self.clock.now_ms(),
        )
        return screening

    def _decide(
        self,
        text: str,
        media: Path | None,
        label: LabelVerdict,
        *,
        creator_id: int | None,
        exclude: int | None,
    ) -> tuple[Screening, Fingerprints]:
        checks = tuple(check_text(text)) if text else ()
        prints = self.index.fingerprints(text, media)
        duplicates = self.index.find(prints, exclude=exclude)
        reasons: list[str] = []
        decision = TrustDecision.ALLOW
        original = None
        if duplicates:
            # the earliest matching item is the original; later matches are copies of it
            first = min(duplicates, key=lambda d: d.item_id)
            if self.index.creator_of(first.item_id) != creator_id:
                original = first
                best = max(d.similarity for d in duplicates)
                exact = best >= self.policy.exact_similarity
                action = self.policy.exact_copy_action if exact else self.policy.copy_action
                decision = worse(decision, action)
                reasons.append(
                    f"copy of {first.item_external_id} by {first.creator_external_id} "
                    f"({first.by} similarity {first.similarity:.2f}); credit stays with them"
                )
            else:
                decision = worse(decision, TrustDecision.DEMOTE)
                reasons.append(f"re-upload of the creator's own {first.item_external_id}")
        flagged = [c for c in checks if c.flagged]
        if flagged:
            action = (
                TrustDecision.REVIEW
                if len(flagged) >= self.policy.review_flags
                else TrustDecision.DEMOTE
            )
            decision = worse(decision, action)
            for check in flagged:
                reasons.append(explain_check(check))
        if label.status != AigcStatus.NONE:
            why = "; ".join(label.evidence[:2])
            reasons.append(f"AIGC {label.status}: {label.notice}" + (f" ({why})" if why else ""))
        screening = Screening(decision, tuple(reasons), label, checks, tuple(duplicates), original)
        return screening, prints

    def _store(
        self, item_id: int, creator_id: int, screening: Screening, prints: Fingerprints
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
        self.gate.changed()
        self.index.add(item_id, creator_id, prints)

    def scan(self, *, limit: int = 1000) -> list[Screening]:
        """Screen catalog items that were never screened (created before trust, or in bulk)."""
        with self.db.session() as session:
            pending = repo.unscreened_items(session, limit=limit)
        return [self.screen(item_id) for item_id in pending]
