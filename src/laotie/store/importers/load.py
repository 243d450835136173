"""Write a dataset read by an importer into a laotie home: creators, items, users, events.

Items and users are inserted when missing (a re-run changes nothing); items go through the
catalog door (``laotie.catalog.CatalogService``), so trust screens each before the feed may
distribute it; events go through ``EventLog.ingest`` in batches, so they get the same
validation, idempotency and subscribers as events arriving over HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import polars as pl
from sqlalchemy import insert, select

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import now_ms
from laotie.core.errors import InvalidInput, NotFound
from laotie.core.kinds import ItemKind
from laotie.store.eventlog import EventLog
from laotie.store.importers import _csv, kuairand, kuairec, movielens
from laotie.store.repos.catalog import bulk_create_creators, item_ids, user_ids
from laotie.store.tables import Creator, User

log = logging.getLogger(__name__)

DATASETS: dict[str, ModuleType] = {
    "kuairand": kuairand,
    "kuairec": kuairec,
    "movielens": movielens,
}
#: events handed to ``EventLog.ingest`` at a time
INGEST_BATCH = 10_000
#: rejected events whose errors an import report keeps
KEPT_ERRORS = 20

#: called with (stage, rows done so far in the stage, rows in the stage or None)
Progress = Callable[[str, int, int | None], None]


class ItemDoor(Protocol):
    """Where imported items enter the catalog (``laotie.catalog.CatalogService``)."""

    def add_items(self, items: Sequence[ItemCreate]) -> list[int]:
        """Add items, each screened by trust before it may be distributed."""
        ...


@dataclass
class ImportReport:
    """What an import wrote: new rows per table and the event ingest counts."""

    dataset: str
    directory: str
    creators: int = 0
    items: int = 0
    placeholder_items: int = 0
    users: int = 0
    source_rows: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)


def dataset(name: str) -> ModuleType:
    """The importer module of ``name``; InvalidInput naming the known ones otherwise."""
    module = DATASETS.get(name)
    if module is None:
        raise InvalidInput(
            f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}", field="dataset"
        )
    return module


def import_dataset(
    events: EventLog,
    name: str,
    directory: Path,
    *,
    items: ItemDoor,
    progress: Progress | None = None,
) -> ImportReport:
    """Import dataset ``name`` from ``directory`` into the home behind ``events``, its items
    through the catalog door ``items``."""
    module = dataset(name)
    directory = Path(directory)
    if not directory.is_dir():
        raise NotFound(f"dataset directory {directory} does not exist", field="directory")
    report = ImportReport(dataset=name, directory=str(directory))
    notify = progress or (lambda _stage, _done, _total: None)
    files = module.event_files(directory)  # fails early when the logs are missing
    known_items = _write_items(events, items, module.read_items(directory), report, notify)
    _write_users(events, module.read_users(directory), report, notify)
    total = sum(_csv.count_rows(p, has_header=p.name != "u.data") for p in files)
    done = 0

    def rows_read(count: int) -> None:
        nonlocal done
        done += count
        report.source_rows = done
        notify("events", done, total)

    notify("events", 0, total)
    for frame in module.read_events(directory, on_rows=rows_read):
        _ensure_items(events, items, frame, known_items, report, name)
        _ingest(events, frame, report)
    return report


def _write_items(
    events: EventLog,
    door: ItemDoor,
    frames: Iterator[pl.DataFrame],
    report: ImportReport,
    notify: Progress,
) -> set[str]:
    """Insert the creators and items not yet in the catalog; returns every known item id."""
    known: set[str] = set()
    for frame in frames:
        with events.db.session() as session:
            creators = frame.select("creator", "creator_name").unique("creator")
            have = set(_existing(session, Creator, creators["creator"].to_list()))
            new_creators = [
                CreatorCreate(id=c, name=n[:200] or c)
                for c, n in creators.iter_rows()
                if c not in have
            ]
            if new_creators:
                bulk_create_creators(session, creators=new_creators)
            ids = frame["item"].to_list()
            existing = set(item_ids(session, external_ids=ids))
            new = [_item(row) for row in frame.iter_rows(named=True) if row["item"] not in existing]
        for start in range(0, len(new), 5_000):
            door.add_items(new[start : start + 5_000])
        report.creators += len(new_creators)
        report.items += len(new)
        known.update(ids)
        notify("items", len(known), None)
    return known


def _item(row: dict[str, Any]) -> ItemCreate:
    return ItemCreate(
        id=row["item"],
        kind=ItemKind.VIDEO,
        creator_id=row["creator"],
        title=(row["title"] or row["item"])[:200],
        caption=row["caption"] or "",
        category=(row["category"] or "")[:200],
        tags=[t[:100] for t in (row["tags"] or [])][:50],
        duration_ms=row["duration_ms"] or 0,
        created_at_ms=row["created_at_ms"],
    )


def _existing(session: Any, table: Any, external: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(external), 900):
        chunk = external[start : start + 900]
        found += session.scalars(select(table.external_id).where(table.external_id.in_(chunk)))
    return found


def _write_users(
    events: EventLog, frames: Iterator[pl.DataFrame], report: ImportReport, notify: Progress
) -> None:
    """Insert the users of the side table that are not there yet (with segment and attrs)."""
    for frame in frames:
        stamp = now_ms()
        with events.db.session() as session:
            existing = user_ids(session, external_ids=frame["user"].to_list())
            rows = [
                {
                    "external_id": row["user"],
                    "region": row["region"],
                    "segment": row["segment"],
                    "attrs": json.loads(row["attrs"] or "{}"),
                    "created_at_ms": stamp,
                }
                for row in frame.iter_rows(named=True)
                if row["user"] not in existing
            ]
            for start in range(0, len(rows), 5_000):
                session.execute(insert(User), rows[start : start + 5_000])
        report.users += len(rows)
        notify("users", report.users, None)


def _ensure_items(
    events: EventLog,
    door: ItemDoor,
    frame: pl.DataFrame,
    known: set[str],
    report: ImportReport,
    name: str,
) -> None:
    """Create a placeholder item for every item id the logs name but the side tables lack."""
    unseen = [i for i in frame["item"].unique().to_list() if i not in known]
    if not unseen:
        return
    with events.db.session() as session:
        present = item_ids(session, external_ids=unseen)
        missing = [i for i in unseen if i not in present]
        if missing:
            creator = f"{missing[0].split(':', 1)[0]}:aunknown"
            if not _existing(session, Creator, [creator]):
                bulk_create_creators(
                    session, creators=[CreatorCreate(id=creator, name=f"{name} (author unknown)")]
                )
                report.creators += 1
    if missing:
        door.add_items(
            [ItemCreate(id=i, kind=ItemKind.VIDEO, creator_id=creator, title=i) for i in missing]
        )
    report.placeholder_items += len(missing)
    known.update(unseen)


def _ingest(events: EventLog, frame: pl.DataFrame, report: ImportReport) -> None:
    rows = frame.rename({"user": "user_id", "item": "item_id"}).to_dicts()
    for start in range(0, len(rows), INGEST_BATCH):
        result = events.ingest(rows[start : start + INGEST_BATCH])
        report.accepted += result.accepted
        report.duplicate += result.duplicate
        report.rejected += result.rejected
        for error in result.errors[: max(0, KEPT_ERRORS - len(report.errors))]:
            report.errors.append(f"{error.id}: {error.field}: {error.message}")
