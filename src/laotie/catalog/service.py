"""``CatalogService``: items enter the catalog held back, and are released by trust's screen.

An item is written in the same transaction as a ``review`` decision with reason
``awaiting screening`` (trust's ``hold``), so the feed's gate withholds it from the moment it
exists; trust's ``screen`` then replaces that hold with its verdict (allow, demote, review,
block). An item whose screening fails stays held, and ``laotie trust scan`` screens it again.
Only items screened before they reached this platform (a simulated back catalog) may skip
the screen, and they say so with ``prescreened=True``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy.orm import Session

from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate, ItemPublic
from laotie.core.kinds import AigcStatus, ItemKind
from laotie.store.db import Database
from laotie.store.repos import catalog

log = logging.getLogger(__name__)


class ItemScreen(Protocol):
    """What the door asks of trust (``laotie.trust.TrustService.screening`` is one)."""

    def hold(self, session: Session, item_ids: Sequence[int]) -> None:
        """Withhold new items from distribution, in the transaction that creates them."""

    def screen(self, item_external_id: str, *, declared: bool = False) -> object:
        """Screen one item and store the gate's decision on it."""


class CatalogService:
    """The one way items (and the creators, series and novels they belong to) are added."""

    def __init__(self, db: Database, *, screen: ItemScreen) -> None:
        self.db = db
        self.trust = screen

    def add_item(self, item: ItemCreate, *, declared: bool = False) -> ItemPublic:
        """Add one item, held until trust has screened it (done here, before returning)."""
        with self.db.session() as session:
            row = catalog.create_item(session, item=item)
            self.trust.hold(session, [row.id])
        self.trust.screen(item.id, declared=declared or item.aigc_status is AigcStatus.DECLARED)
        with self.db.session() as session:
            return catalog.item_public(session, catalog.get_item(session, external_id=item.id))

    def add_items(self, items: Sequence[ItemCreate], *, prescreened: bool = False) -> list[int]:
        """Add items in bulk (imports, the simulator); each is held, then screened one by one.

        A screening that fails leaves its item held (for ``laotie trust scan``) and the rest go
        on. Returns the new internal ids in order."""
        if not items:
            return []
        with self.db.session() as session:
            ids = catalog.bulk_create_items(session, items=items)
            if not prescreened:
                self.trust.hold(session, ids)
        if not prescreened:
            for item in items:
                try:
                    self.trust.screen(item.id, declared=item.aigc_status is AigcStatus.DECLARED)
                except Exception:
                    log.exception("screening item %s failed; it stays held", item.id)
        return ids

    def add_creators(self, creators: Sequence[CreatorCreate], *, created_at_ms: int) -> None:
        """Add creators in bulk."""
        with self.db.session() as session:
            catalog.bulk_create_creators(session, creators=creators, created_at_ms=created_at_ms)

    def add_containers(
        self, kind: ItemKind, containers: Sequence[ContainerCreate], *, created_at_ms: int
    ) -> None:
        """Add series (``EPISODE`` containers) or novels (``CHAPTER`` containers) in bulk."""
        with self.db.session() as session:
            catalog.bulk_create_containers(
                session, kind=kind, containers=containers, created_at_ms=created_at_ms
            )

    def add_users(self, external_ids: Sequence[str], *, created_at_ms: int) -> dict[str, int]:
        """Create the users not there yet; internal id of each of ``external_ids``."""
        with self.db.session() as session:
            return catalog.ensure_users(
                session, external_ids=external_ids, created_at_ms=created_at_ms
            )
