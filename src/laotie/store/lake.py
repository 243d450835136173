"""The Parquet event lake: completed days compacted out of the hot log, and one reader over both.

Compaction writes each day's events to ``<root>/day=YYYY-MM-DD/part-<id>.parquet`` (zstd) whole
(a local file under a temporary name, fsynced and renamed; one PUT to an S3-compatible store
when ``LAOTIE_LAKE_URL`` is ``s3://...``, see ``laotie.store.objects``), then in ONE
transaction registers the part, remembers the moved client event ids (so late duplicates stay
duplicates) and deletes the rows from the hot log.
A crash before that commit leaves an unregistered file, which the next compaction removes;
readers only ever read registered parts, so no event is read twice or lost.

One compaction runs at a time across every process on the database: it holds a lease, a row
in ``store_meta`` taken with an atomic insert (or a compare-and-set over an expired lease),
renewed as it goes and deleted when it ends. A second compaction meanwhile is refused with
Conflict, so it can neither write the same events twice nor delete the first's new file as
an orphan.
"""

from __future__ import annotations

import io
import logging
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from laotie.core.clock import MS_PER_DAY, day_label, day_start_ms, now_ms
from laotie.core.errors import Conflict
from laotie.core.events import EVENT_NAMES, EVENT_TYPES
from laotie.core.ids import new_id
from laotie.store.db import Database
from laotie.store.eventrows import COMPACTED_UNTIL_KEY
from laotie.store.objects import LocalObjects, ObjectStore
from laotie.store.tables import CompactedEventId, Event, LakePart, StoreMeta

log = logging.getLogger(__name__)

EVENT_TYPE_DTYPE = pl.Enum(list(EVENT_TYPES))
LAKE_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.Int64(),
    "client_event_id": pl.Utf8(),
    "type": pl.Int16(),
    "user_id": pl.Int64(),
    "item_id": pl.Int64(),
    "ts_ms": pl.Int64(),
    "watch_ms": pl.Int64(),
    "duration_ms": pl.Int64(),
    "value": pl.Float64(),
    "amount_fen": pl.Int64(),
    "ref": pl.Utf8(),
    "request_id": pl.Utf8(),
    "device_id": pl.Utf8(),
}
_SELECT = (
    "SELECT id, client_event_id, type, user_id, item_id, ts_ms, watch_ms, duration_ms, value, "
    "amount_fen, ref, request_id, device_id FROM events"
)
PART_ROWS = 1_000_000
COMPACTION_LEASE_KEY = "lake.compaction_lease"
#: a lease not renewed for this long belongs to a dead process and may be taken over (ms)
LEASE_MS = 10 * 60 * 1000


@dataclass
class CompactionReport:
    """What one compaction moved: rows and parts per day."""

    rows: int
    parts: int
    days: list[str]
    compacted_until_ms: int


class Lake:
    """The event lake under ``root`` (usually ``$LAOTIE_HOME/lake/events``) plus the hot log."""

    def __init__(self, db: Database, root: Path | ObjectStore) -> None:
        self.db = db
        self.objects: ObjectStore = LocalObjects(root) if isinstance(root, Path) else root
        #: the local folder of the parts (None when they live in an object store)
        self.root: Path | None = getattr(self.objects, "root", None)

    def compact(self, before_ms: int) -> CompactionReport:
        """Move hot-log events with ``ts_ms < before_ms`` (floored to a UTC day) to Parquet.

        Conflict when another compaction holds the lease."""
        with self._lease() as token:
            return self._compact(before_ms, token)

    @contextmanager
    def _lease(self) -> Iterator[str]:
        token = f"{secrets.token_hex(8)}:{os.getpid()}"
        self._take_lease(token)
        try:
            yield token
        finally:
            with self.db.session() as session:
                session.execute(
                    delete(StoreMeta).where(
                        StoreMeta.key == COMPACTION_LEASE_KEY,
                        StoreMeta.value.like(f"{token}@%"),
                    )
                )

    def _take_lease(self, token: str) -> None:
        value = f"{token}@{_wall_ms() + LEASE_MS}"
        try:
            with self.db.session() as session:
                session.execute(insert(StoreMeta).values(key=COMPACTION_LEASE_KEY, value=value))
            return
        except IntegrityError:
            pass
        with self.db.session() as session:
            held = session.scalar(
                select(StoreMeta.value).where(StoreMeta.key == COMPACTION_LEASE_KEY)
            )
            expired = held is not None and int(held.rpartition("@")[2]) < _wall_ms()
            taken = expired and _changed(
                session.execute(
                    update(StoreMeta)
                    .where(StoreMeta.key == COMPACTION_LEASE_KEY, StoreMeta.value == held)
                    .values(value=value)
                )
            )
        if not taken:
            raise Conflict(
                "another compaction is running on this database; try again when it ends",
                field="compaction",
            )

    def _renew_lease(self, token: str) -> None:
        with self.db.session() as session:
            renewed = _changed(
                session.execute(
                    update(StoreMeta)
                    .where(
                        StoreMeta.key == COMPACTION_LEASE_KEY, StoreMeta.value.like(f"{token}@%")
                    )
                    .values(value=f"{token}@{_wall_ms() + LEASE_MS}")
                )
            )
        if not renewed:
            raise Conflict("the compaction lease was lost; stopping", field="compaction")

    def _compact(self, before_ms: int, token: str) -> CompactionReport:
        cutoff = day_start_ms(before_ms, "UTC")
        self._remove_orphans()
        with self.db.session() as session:
            first = session.execute(
                text("SELECT min(ts_ms) FROM events WHERE ts_ms < :c"), {"c": cutoff}
            ).scalar()
        rows = parts = 0
        days: list[str] = []
        if first is not None:
            day = day_start_ms(int(first), "UTC")
            while day < cutoff:
                moved, written = self._compact_day(day, day + MS_PER_DAY, token)
                if moved:
                    days.append(day_label(day))
                rows += moved
                parts += written
                day += MS_PER_DAY
        self._raise_horizon(cutoff)
        return CompactionReport(rows=rows, parts=parts, days=days, compacted_until_ms=cutoff)

    def _compact_day(self, start: int, end: int, token: str) -> tuple[int, int]:
        moved = parts = 0
        last_id = 0
        while True:
            with self.db.session() as session:
                result = session.execute(
                    text(f"{_SELECT} WHERE ts_ms >= :s AND ts_ms < :e AND id > :i {_PAGE}"),
                    {"s": start, "e": end, "i": last_id, "n": PART_ROWS},
                )
                batch = result.fetchall()
            if not batch:
                return moved, parts
            frame = _frame(batch)
            last_id = int(frame["event_id"].max())  # type: ignore[arg-type]
            self._renew_lease(token)
            self._write_part(frame, day_label(start))
            moved += frame.height
            parts += 1

    def _write_part(self, frame: pl.DataFrame, day: str) -> None:
        key = f"day={day}/part-{new_id()}.parquet"
        buffer = io.BytesIO()
        frame.write_parquet(buffer, compression="zstd")
        self.objects.put(key, buffer.getvalue())  # whole or not at all, then registered
        first, last = int(frame["event_id"].min()), int(frame["event_id"].max())  # type: ignore[arg-type]
        ids = frame.select("client_event_id", "ts_ms").rows()
        with self.db.session() as session:
            session.add(
                LakePart(
                    day=day,
                    path=key,
                    rows=frame.height,
                    min_event_id=first,
                    max_event_id=last,
                    created_at_ms=now_ms(),
                )
            )
            for start in range(0, len(ids), 10_000):
                session.execute(
                    self.db.insert_ignoring_duplicates(CompactedEventId),
                    [{"client_event_id": c, "ts_ms": t} for c, t in ids[start : start + 10_000]],
                )
            event_ids = frame["event_id"].to_list()
            for start in range(0, len(event_ids), 900):
                session.execute(delete(Event).where(Event.id.in_(event_ids[start : start + 900])))

    def _raise_horizon(self, cutoff: int) -> None:
        with self.db.session() as session:
            row = session.get(StoreMeta, COMPACTED_UNTIL_KEY)
            if row is None:
                session.add(StoreMeta(key=COMPACTED_UNTIL_KEY, value=str(cutoff)))
            elif int(row.value) < cutoff:
                row.value = str(cutoff)

    def _remove_orphans(self) -> None:
        with self.db.session() as session:
            known = set(session.scalars(select(LakePart.path)))
        for key in self.objects.list_keys():
            if key.startswith("day=") and key not in known:
                log.warning("removing unregistered lake object %s (interrupted compaction)", key)
                self.objects.delete(key)

    def parts(self, *, start_ms: int | None = None, end_ms: int | None = None) -> list[str]:
        """Locations (paths or s3:// URLs) of the registered Parquet parts whose day overlaps
        [start_ms, end_ms)."""
        with self.db.session() as session:
            query = select(LakePart.path, LakePart.day).order_by(LakePart.id)
            rows = session.execute(query).all()
        low = day_label(start_ms) if start_ms is not None else None
        high = day_label(end_ms - 1) if end_ms is not None else None
        return [
            self.objects.location(path)
            for path, day in rows
            if (low is None or day >= low) and (high is None or day <= high)
        ]

    def scan(
        self,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        types: Sequence[str] | None = None,
    ) -> pl.LazyFrame:
        """Events in [start_ms, end_ms) from lake + hot log as a lazy frame (unordered).

        Parquet parts are scanned lazily, so callers that project or aggregate read only the
        columns and row groups they need; the hot log (recent events) is read eagerly.
        """
        frames = []
        paths = self.parts(start_ms=start_ms, end_ms=end_ms)
        if paths:
            scanned = pl.scan_parquet(paths, storage_options=self.objects.storage_options)
            frames.append(scanned.filter(_window(start_ms, end_ms, types)))
        frames.append(self._hot(start_ms, end_ms, types).lazy())
        return pl.concat(frames, how="vertical").with_columns(
            pl.col("type").replace_strict(EVENT_NAMES, return_dtype=EVENT_TYPE_DTYPE)
        )

    def read(
        self,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
        types: Sequence[str] | None = None,
    ) -> pl.DataFrame:
        """Events in [start_ms, end_ms) from lake + hot log by event id; ``type`` as an Enum."""
        return self.scan(start_ms=start_ms, end_ms=end_ms, types=types).sort("event_id").collect()

    def _hot(
        self, start_ms: int | None, end_ms: int | None, types: Sequence[str] | None
    ) -> pl.DataFrame:
        clauses, params = [], []
        if start_ms is not None:
            clauses.append("ts_ms >= ?")
            params.append(start_ms)
        if end_ms is not None:
            clauses.append("ts_ms < ?")
            params.append(end_ms)
        if types:
            codes = [EVENT_TYPES.index(t) for t in types]
            clauses.append(f"type IN ({', '.join('?' * len(codes))})")
            params.extend(codes)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.db.session() as session:
            if self.db.is_sqlite:
                rows = (
                    session.connection().exec_driver_sql(_SELECT + where, tuple(params)).fetchall()
                )
            else:
                named = where
                for i in range(len(params)):
                    named = named.replace("?", f":p{i}", 1)
                bound = {f"p{i}": value for i, value in enumerate(params)}
                rows = session.execute(text(_SELECT + named), bound).fetchall()
        return _frame(rows)


_PAGE = "ORDER BY id LIMIT :n"


def _changed(result: object) -> bool:
    """True when an UPDATE changed exactly one row (the lease compare-and-set won)."""
    return getattr(result, "rowcount", 0) == 1


def _wall_ms() -> int:
    return int(time.time() * 1000)


def _window(start_ms: int | None, end_ms: int | None, types: Sequence[str] | None) -> pl.Expr:
    condition = pl.lit(True)
    if start_ms is not None:
        condition &= pl.col("ts_ms") >= start_ms
    if end_ms is not None:
        condition &= pl.col("ts_ms") < end_ms
    if types:
        condition &= pl.col("type").is_in([EVENT_TYPES.index(t) for t in types])
    return condition


def _frame(rows: Sequence[Sequence[object]]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=LAKE_SCHEMA)
    columns = list(zip(*rows, strict=True))
    return pl.DataFrame(
        {name: list(col) for name, col in zip(LAKE_SCHEMA, columns, strict=True)},
        schema=LAKE_SCHEMA,
    )
