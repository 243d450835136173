"""Per-user serving state: recent positives, seen items, series/novel progress, follows.

Built in bulk from the training window and then kept current from the event log in real time,
so that an event just ingested changes the next request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import NamedTuple, Protocol

import numpy as np
import polars as pl

from laotie.core.watch import watch_weight
from laotie.feed.catalog import Catalog
from laotie.feed.signals import EVENT_WEIGHTS, POSITIVE_MIN


class ItemEvent(Protocol):
    """What the state reads of an event: the event log's ``StoredEvent`` is one."""

    @property
    def user_id(self) -> int: ...
    @property
    def item_id(self) -> int | None: ...
    @property
    def type(self) -> str: ...
    @property
    def ts_ms(self) -> int: ...
    @property
    def watch_ms(self) -> int | None: ...
    @property
    def duration_ms(self) -> int | None: ...


def event_weight(kind: str, watch_ms: int | None, duration_ms: int | None) -> float:
    """The preference weight of a single event (see ``signals.EVENT_WEIGHTS``)."""
    if kind == "watch":
        return watch_weight(watch_ms, duration_ms)
    return EVENT_WEIGHTS.get(kind, 0.0)


class Observation(NamedTuple):
    """One item event built by hand (internal ids), e.g. in tests and the simulator."""

    user_id: int
    item_id: int
    type: str
    ts_ms: int
    watch_ms: int = 0
    duration_ms: int = 0
    value: float = 0.0

    def weight(self) -> float:
        """The preference weight of this single event (see ``signals.EVENT_WEIGHTS``)."""
        return event_weight(self.type, self.watch_ms, self.duration_ms)


class UserState:
    """Mutable per-user state, safe to read while another thread observes events."""

    def __init__(self, *, recent_max: int = 30, seen_max: int = 2000) -> None:
        self.recent_max = recent_max
        self.seen_max = seen_max
        self.recent: dict[int, list[int]] = {}
        self.seen: dict[int, set[int]] = {}
        self.progress: dict[int, dict[int, tuple[int, int]]] = {}
        self.follows: dict[int, set[int]] = {}
        self._lock = threading.Lock()

    def load(
        self, catalog: Catalog, pairs: pl.DataFrame, follows: pl.DataFrame, *, seen: bool = True
    ) -> UserState:
        """Fill from ``signals.interactions`` rows and a follows frame (user_id, creator_id);
        ``seen=False`` skips the seen sets (training features do not read them)."""
        ordered = pairs.sort("last_ts_ms")
        recent = (
            ordered.filter(pl.col("positive"))
            .group_by("user_id")
            .agg(pl.col("item_id").tail(self.recent_max))
        )
        self.recent = dict(
            zip(recent["user_id"].to_list(), recent["item_id"].to_list(), strict=True)
        )
        if seen:
            shown = ordered.group_by("user_id").agg(pl.col("item_id").tail(self.seen_max))
            self.seen = {
                u: set(items)
                for u, items in zip(
                    shown["user_id"].to_list(), shown["item_id"].to_list(), strict=True
                )
            }
        items = ordered["item_id"].to_numpy()
        inside = (items < catalog.size) & (ordered["play"].to_numpy())
        inside[inside] &= catalog.container[items[inside]] >= 0
        played = ordered.filter(pl.Series(inside))
        if played.height:
            item_ids = played["item_id"].to_numpy()
            best = (
                played.with_columns(
                    pl.Series("container", catalog.container[item_ids]),
                    pl.Series("position", catalog.position[item_ids]),
                )
                .sort("position")
                .group_by("user_id", "container")
                .agg(pl.col("item_id").last(), pl.col("last_ts_ms").max())
            )
            for user, container, item, ts in best.iter_rows():
                self.progress.setdefault(user, {})[container] = (item, ts)
        grouped = follows.group_by("user_id").agg(pl.col("creator_id"))
        self.follows = {
            u: set(c)
            for u, c in zip(
                grouped["user_id"].to_list(), grouped["creator_id"].to_list(), strict=True
            )
        }
        return self

    def observe(
        self,
        catalog: Catalog,
        events: Iterable[ItemEvent],
        *,
        weights: Iterable[float] | None = None,
    ) -> None:
        """Apply events in arrival order: positives, progress, follows and seen items.

        ``weights`` are the events' preference weights when the caller already has them.
        """
        events = list(events)
        if weights is None:
            weights = [event_weight(e.type, e.watch_ms, e.duration_ms) for e in events]
        # called once per ingested batch on the ingest path: locals and plain lists keep the
        # per-event cost down (numpy scalar indexing is ~10x a list lookup)
        size, seen_map, recent_map = catalog.size, self.seen, self.recent
        creators, containers = catalog.creator, catalog.container
        limit, recent_max = self.seen_max * 2, self.recent_max
        with self._lock:
            for event, weight in zip(events, weights, strict=True):
                user, item, kind = event.user_id, event.item_id, event.type
                if item is None or item < 0 or item >= size:
                    continue
                seen = seen_map.get(user)
                if seen is None:
                    seen_map[user] = {item}
                else:
                    seen.add(item)
                    if len(seen) > limit:
                        seen_map[user] = set(list(seen)[-self.seen_max :])
                if kind == "follow" and creators[item] >= 0:
                    self.follows.setdefault(user, set()).add(int(creators[item]))
                elif kind == "unfollow":
                    self.follows.get(user, set()).discard(int(creators[item]))
                if weight >= POSITIVE_MIN:
                    recent = [i for i in recent_map.get(user, ()) if i != item]
                    recent.append(item)
                    recent_map[user] = recent[-recent_max:]
                    container = int(containers[item])
                    if container >= 0:
                        progress = self.progress.setdefault(user, {})
                        known = progress.get(container)
                        if known is None or catalog.position[item] >= catalog.position[known[0]]:
                            progress[container] = (item, event.ts_ms)

    def mark_seen(self, user_id: int, item_ids: Iterable[int]) -> None:
        """Record items shown to ``user_id`` (server-side impressions)."""
        with self._lock:
            self._add_seen(user_id, list(item_ids))

    def _add_seen(self, user: int, items: list[int]) -> None:
        seen = self.seen.setdefault(user, set())
        seen.update(items)
        if len(seen) > self.seen_max * 2:
            keep = list(seen)[-self.seen_max :]
            self.seen[user] = set(keep)

    def recent_positives(self, user_id: int) -> np.ndarray:
        """The user's recent positive items, most recent last."""
        return np.asarray(self.recent.get(user_id, ()), dtype=np.int64)

    def seen_items(self, user_id: int) -> np.ndarray:
        """Items the user has seen or consumed (bounded)."""
        return np.fromiter(self.seen.get(user_id, ()), dtype=np.int64)

    def next_items(self, catalog: Catalog, user_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The next episode/chapter of each series/novel in progress, and when it was left."""
        progress = self.progress.get(user_id)
        if not progress:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        last = np.fromiter((v[0] for v in progress.values()), dtype=np.int64, count=len(progress))
        ts = np.fromiter((v[1] for v in progress.values()), dtype=np.int64, count=len(progress))
        nxt = catalog.next_item[last]
        keep = nxt >= 0
        keep[keep] &= catalog.valid[nxt[keep]]
        return nxt[keep], ts[keep]

    def followed(self, user_id: int) -> list[int]:
        """Creators the user follows."""
        return list(self.follows.get(user_id, ()))
