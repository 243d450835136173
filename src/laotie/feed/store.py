"""Where the feed reads the catalog and events and writes impressions.

``DatabaseFeedStore`` is the real one (repositories, lake, event log); ``MemoryFeedStore`` serves
a ``FeedData`` held in memory (evaluation on external datasets and in-process experiments).
"""

from __future__ import annotations

from typing import Any, Protocol

import polars as pl

from laotie.feed.catalog import ITEM_COLUMNS
from laotie.feed.signals import FeedData, column_max
from laotie.store.repos.catalog import user_ids
from laotie.store.repos.catalog_frames import follows_frame, item_columns_frame, users_frame
from laotie.store.tables import Item


class FeedStore(Protocol):
    """What the feed service needs from storage."""

    def items(self) -> pl.DataFrame:
        """Every item (``catalog.ITEM_COLUMNS``)."""
        ...

    def item_watermark(self) -> tuple[int, int]:
        """(item count, largest item id): a cheap signal that the catalog changed."""
        ...

    def user_ids(self, external_ids: list[str]) -> dict[str, int]:
        """Internal ids of the known users among ``external_ids``."""
        ...

    def activity(self, *, start_ms: int, end_ms: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Events in [start_ms, end_ms) and every follow."""
        ...

    def user_map(self) -> dict[str, int]:
        """External -> internal id of every known user (loaded once per serving state)."""
        ...

    def log(self, events: list[dict[str, Any]]) -> None:
        """Append events (server-side impressions) to the event log."""
        ...


class MemoryFeedStore:
    """A ``FeedStore`` over an in-memory ``FeedData``; logged events are appended to it."""

    def __init__(self, data: FeedData, users: dict[str, int] | None = None) -> None:
        self._data = data
        self._users = (
            users
            if users is not None
            else {str(u): int(u) for u in data.events["user_id"].unique().to_list()}
        )
        self.logged: list[dict[str, Any]] = []

    def items(self) -> pl.DataFrame:
        """The held items."""
        return self._data.items

    def item_watermark(self) -> tuple[int, int]:
        """Count and largest id of the held items."""
        ids = self._data.items["id"]
        return len(ids), column_max(ids)

    def user_ids(self, external_ids: list[str]) -> dict[str, int]:
        """Known users by external id."""
        return {e: self._users[e] for e in external_ids if e in self._users}

    def user_map(self) -> dict[str, int]:
        """Every held user."""
        return dict(self._users)

    def activity(self, *, start_ms: int, end_ms: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The held events of the window and every held follow."""
        events = self._data.events.filter(
            (pl.col("ts_ms") >= start_ms) & (pl.col("ts_ms") < end_ms)
        )
        return events, self._data.follows

    def log(self, events: list[dict[str, Any]]) -> None:
        """Keep the events (tests read ``logged``)."""
        self.logged.extend(events)


class DatabaseFeedStore:
    """The real store: catalog repositories, the lake (+ hot log) and the event log."""

    def __init__(self, db: Any, lake: Any, events: Any) -> None:
        self.db = db
        self.lake = lake
        self.events = events

    def items(self) -> pl.DataFrame:
        """The catalog's columns of every item (``repos.catalog_frames.item_columns_frame``)."""

        with self.db.session() as session:
            return item_columns_frame(session, ITEM_COLUMNS)

    def item_watermark(self) -> tuple[int, int]:
        """One aggregate query over the items table."""
        from sqlalchemy import func, select

        with self.db.session() as session:
            count, top = session.execute(select(func.count(Item.id), func.max(Item.id))).one()
        return int(count or 0), int(top or 0)

    def user_ids(self, external_ids: list[str]) -> dict[str, int]:
        """``repos.catalog.user_ids``."""

        with self.db.session() as session:
            return user_ids(session, external_ids=external_ids)

    def user_map(self) -> dict[str, int]:
        """``repos.catalog_frames.users_frame`` as a dict."""

        with self.db.session() as session:
            frame = users_frame(session)
        return dict(zip(frame["external_id"].to_list(), frame["id"].to_list(), strict=True))

    def activity(self, *, start_ms: int, end_ms: int) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Lake events of the window and every follow."""

        with self.db.session() as session:
            follows = follows_frame(session)
        return self.lake.read(start_ms=start_ms, end_ms=end_ms), follows

    def log(self, events: list[dict[str, Any]]) -> None:
        """Ingest through the event log (so subscribers see the impressions too)."""
        for start in range(0, len(events), 5000):
            self.events.ingest(events[start : start + 5000])


def window_data(store: FeedStore, *, start_ms: int, end_ms: int) -> FeedData:
    """Every item, and the events in [start_ms, end_ms) and follows, as one ``FeedData``."""
    events, follows = store.activity(start_ms=start_ms, end_ms=end_ms)
    return FeedData(items=store.items(), events=events, follows=follows, now_ms=end_ms)
