"""The originality index: fingerprints of every screened item (text MinHash/SimHash, media
pHash), and the search for earlier items a new one repeats."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import select

from laotie.store.db import Database
from laotie.store.repos import trust as repo
from laotie.store.tables import Creator, Item
from laotie.trust.decisions import DuplicateFinding, TrustPolicy
from laotie.trust.neardup import TextIndex
from laotie.trust.phash import MediaIndex, media_phashes
from laotie.trust.textfeat import normalize, simhash64, tokens

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fingerprints:
    """What the index keeps of one item."""

    minhash: np.ndarray | None
    simhash: int | None
    phashes: list[int]


class OriginalityIndex:
    """Text and media fingerprints of stored items, loaded from the database on first use."""

    def __init__(self, db: Database, *, policy: TrustPolicy) -> None:
        self.db = db
        self.policy = policy
        self._lock = threading.RLock()
        self._text_index: TextIndex | None = None
        self._media_index = MediaIndex()
        self._creators: dict[int, int] = {}

    def _load(self) -> tuple[TextIndex, MediaIndex]:
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

    def fingerprints(self, text: str, media: Path | None) -> Fingerprints:
        """The text's MinHash and SimHash (long enough texts only) and the media's pHashes."""
        text_index, _ = self._load()
        minhash = simhash = None
        if len(normalize(text)) >= self.policy.min_fingerprint_chars:
            minhash = text_index.signature(text)
            simhash = simhash64(tokens(text))
        phashes = media_phashes(media) if media is not None else []
        return Fingerprints(minhash, simhash, phashes)

    def _duplicates(
        self, prints: Fingerprints, *, exclude: int | None
    ) -> list[tuple[int, float, str]]:
        text_index, media_index = self._load()
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

    def find(self, prints: Fingerprints, *, exclude: int | None) -> list[DuplicateFinding]:
        """Earlier items these fingerprints repeat, most similar first (``exclude``: itself)."""
        raw = sorted(self._duplicates(prints, exclude=exclude), key=lambda d: (-d[1], d[0]))
        return self._describe(raw)

    def creator_of(self, item_id: int) -> int | None:
        """The creator row id of an indexed item."""
        return self._creators.get(item_id)

    def add(self, item_id: int, creator_id: int, prints: Fingerprints) -> None:
        """Index a screened item's fingerprints."""
        text_index, media_index = self._load()
        with self._lock:
            self._creators[item_id] = creator_id
            if prints.minhash is not None and item_id not in text_index:
                text_index.add(item_id, prints.minhash)
            if prints.phashes:
                media_index.add(item_id, prints.phashes)

    def _describe(self, raw: list[tuple[int, float, str]]) -> list[DuplicateFinding]:
        if not raw:
            return []
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
