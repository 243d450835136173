"""``FeedService``: the feed in process — requests, real-time events and training; the
version it serves and how that is swapped is ``served`` (``feed.served.ServedModel``).
"""

from __future__ import annotations

import logging
import re
from collections import deque
from collections.abc import Sequence
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from laotie.core.catalog import EXTERNAL_ID
from laotie.core.clock import Clock, SystemClock
from laotie.core.contracts import AdSlotFiller, LiveRooms, TrustGate
from laotie.core.errors import InvalidInput, NotFound
from laotie.core.feedconfig import FeedConfig
from laotie.core.ids import new_id
from laotie.feed.bundle import next_version, save_bundle
from laotie.feed.catalog import codes_of_kinds
from laotie.feed.cursor import check_page_size, decode_cursor, next_cursor_after
from laotie.feed.impressions import ImpressionBuffer
from laotie.feed.live import LiveSignals, share
from laotie.feed.rerank import build_page, fill_ad_slots
from laotie.feed.schemas import FeedPage, SimilarItems, SimilarUsers
from laotie.feed.served import ServedModel
from laotie.feed.similar import similar_items_page, similar_users_page
from laotie.feed.state import ItemEvent, event_weight
from laotie.feed.store import FeedStore
from laotie.feed.training import Factorise, TrainingInput, TrainReport, train

log = logging.getLogger(__name__)
#: what a user id may be (the API's path rule, so the CLI and the library refuse the same ids)
_USER_ID = re.compile(EXTERNAL_ID)
_EXTERNAL_USER, _INTERNAL_USER = attrgetter("user_external_id"), attrgetter("user_id")
INSPECTION_WARNING = "inspection only: no impressions logged, nothing marked seen, no ads auctioned"
NO_MODEL_WARNING = "no trained model yet: serving a popularity/fresh feed (run `laotie train`)"


class FeedService:
    """The feed: ``feed()`` pages, ``train()`` versions, ``on_events`` real-time updates."""

    def __init__(
        self,
        store: FeedStore,
        *,
        config: FeedConfig,
        models_dir: Path,
        clock: Clock | None = None,
        gate: TrustGate | None = None,
        ad_filler: AdSlotFiller | None = None,
        live: LiveRooms | None = None,
        signals: LiveSignals | None = None,
    ) -> None:
        self.store = store
        #: real-time signals shared with other serving processes (None: this one alone)
        self.signals = signals
        self.config = config
        self.models_dir = Path(models_dir)
        self.clock = clock or SystemClock()
        self.ad_filler = ad_filler
        self._users: dict[str, int] = {}
        self._recent: deque[ItemEvent] = deque(maxlen=200_000)
        self.impressions = ImpressionBuffer(store, config=config.serving)
        #: the version served: ``served.version``, ``served.reload()``, ``served.swap(...)``
        self.served = ServedModel(
            store,
            config=config,
            models_dir=self.models_dir,
            clock=self.clock,
            gate=gate,
            live=live,
            signals=signals,
            recent=self._recent,
            users=self._users,
        )

    def reconfigure(
        self, *, config: FeedConfig, models_dir: Path, ad_filler: AdSlotFiller | None
    ) -> None:
        """Serve with ``config``, the models under ``models_dir`` and ``ad_filler`` from the
        next request (a simulator arm); the events seen so far are replayed into its state."""
        self.config, self.models_dir, self.ad_filler = config, Path(models_dir), ad_filler
        self.impressions.config = config.serving
        self.served.reset(config=config, models_dir=models_dir)

    # --- requests -------------------------------------------------------------------------

    def similar_items(self, item_id: str, *, n: int = 20) -> SimilarItems:
        """The ``n`` items most like ``item_id`` (external id): trained vectors, or the content
        and category fallbacks for an item without one; ``NotFound`` for an unknown item."""
        check_page_size(n, limit=self.config.serving.max_n)
        serving = self.served.state
        return similar_items_page(
            serving.bundle, serving.catalog, item_id, n, model_version=self.served.version
        )

    def similar_users(self, user_id: str, *, n: int = 20) -> SimilarUsers:
        """The ``n`` users whose trained vectors are closest to ``user_id``'s; ``NotFound``
        for an unknown user, an empty list (basis ``none``) for one without a vector yet."""
        check_page_size(n, limit=self.config.serving.max_n)
        internal = self.resolve_user(user_id)
        if internal is None:
            raise NotFound(f"no user {user_id!r}", field="user_id")
        return similar_users_page(
            self.served.state.bundle,
            user_id,
            internal,
            n,
            model_version=self.served.version,
            user_map=self.store.user_map,
        )

    def resolve_user(self, external_id: str) -> int | None:
        """The internal id of a user, or None for a user the store does not know yet."""
        known = self._users.get(external_id)
        if known is None:
            found = self.store.user_ids([external_id])
            if external_id in found:
                known = self._users[external_id] = found[external_id]
        return known

    def feed(
        self,
        user_id: str,
        *,
        n: int = 20,
        cursor: str | None = None,
        kinds: list[str] | None = None,
        explain: bool = False,
        log: bool = True,
    ) -> FeedPage:
        """A page of ``n`` entries for ``user_id`` (external id); ``cursor`` continues a session.

        ``log=False`` inspects: no impressions logged, nothing marked seen, no ad auction."""
        if not _USER_ID.match(user_id):
            raise InvalidInput(
                f"user_id {user_id!r} is not an id: 1 to 128 letters, digits, '_', '.', ':' or '-'",
                field="user_id",
                limit=EXTERNAL_ID,
            )
        check_page_size(n, limit=self.config.serving.max_n)
        kind_codes = codes_of_kinds(kinds) if kinds else None
        previous = decode_cursor(cursor) if cursor else None
        self.served.poll()
        serving = self.served.state
        now = self.clock.now_ms()
        request_id = new_id("req_", now_ms=now)
        internal = self.resolve_user(user_id)
        user = internal if internal is not None else -1
        exclude = np.asarray(previous.served if previous else (), np.int64)
        if internal is not None:
            share(
                self.signals,
                lambda signals: signals.catch_up(serving.bundle.state, serving.catalog, [internal]),
            )
        result = serving.pipeline.run(user, n, exclude=exclude, kinds=kind_codes, explain=explain)
        ads = (
            fill_ad_slots(
                self.ad_filler,
                slots=[p for p in self.config.rerank.ad_slots if p < n],
                user=user,
                user_external_id=user_id,
                request_id=request_id,
                now_ms=now,
            )
            if log and self.ad_filler
            else []
        )
        entries, shown = build_page(
            result.items, ads, catalog=serving.catalog, n=n, explain=explain
        )
        next_cursor = next_cursor_after(
            previous, request_id, shown, max_items=self.config.serving.cursor_max_items
        )
        if log:
            if internal is not None:
                serving.bundle.state.mark_seen(internal, shown)
                share(self.signals, lambda signals: signals.record_seen(internal, shown))
            self.impressions.add(
                user_id=user_id, request_id=request_id, now_ms=now, entries=entries
            )
        warnings = [] if serving.trained else [NO_MODEL_WARNING]
        if not log:
            warnings.append(INSPECTION_WARNING)
        return FeedPage(
            request_id=request_id,
            user_id=user_id,
            model_version=self.served.version,
            ranked_by=result.ranked_by,
            candidates=result.candidates,
            entries=entries,
            next_cursor=next_cursor,
            warnings=warnings,
        )

    # --- events and training --------------------------------------------------------------

    def on_events(self, events: Sequence[Any]) -> None:
        """Event subscriber (wired in ``laotie.wiring``): the sources and the user state learn
        from committed events in real time."""
        # the event log's StoredEvents are kept as they are: copying each into another
        # object cost about 1 µs an event on the ingest path
        item_events = [e for e in events if e.item_id is not None]
        if not item_events:
            return
        # an external id always maps to the same internal id: updating known ones is harmless
        self._users.update(
            zip(map(_EXTERNAL_USER, events), map(_INTERNAL_USER, events), strict=True)
        )
        self._recent.extend(item_events)
        share(self.signals, lambda signals: signals.record(item_events))
        serving = self.served.peek()
        if serving is None:  # not loaded yet: the load replays ``_recent``
            return
        weights = [event_weight(e.type, e.watch_ms, e.duration_ms) for e in item_events]
        for source in serving.bundle.sources.values():
            source.observe(item_events, weights)
        serving.bundle.state.observe(serving.catalog, item_events, weights=weights)

    def flush(self) -> int:
        """Write buffered impressions to the event log; returns how many were written."""
        return self.impressions.flush()

    def train(
        self,
        *,
        now_ms: int | None = None,
        keep_inputs: bool = False,
        factorise: Factorise | None = None,
    ) -> TrainReport:
        """Train a new version from the store's events, save it, make it CURRENT and serve it;
        ``factorise`` fits the ALS vectors on a distributed engine (``laotie.engine``)."""
        self.flush()
        now = now_ms if now_ms is not None else self.clock.now_ms()
        given, watermark = TrainingInput.read(
            self.store, now_ms=now, window_days=self.config.training.window_days
        )
        bundle, report = train(
            given,
            self.config,
            version=next_version(self.models_dir, now_ms=now),
            keep_inputs=keep_inputs,
            factorise=factorise,
        )
        save_bundle(bundle, self.models_dir, keep=self.config.training.keep_versions)
        self.served.swap(bundle, catalog=report.catalog, watermark=watermark)
        return report

    def close(self) -> None:
        """Flush buffered impressions."""
        self.flush()
