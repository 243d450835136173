"""``FeedService``: the feed in process — requests, real-time events, training and model swaps.

Serving state (bundle + catalog + pipeline) is one immutable object replaced by reference, so
a swap is atomic: a request uses the state it started with, and the next request the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from laotie.core.aigc import aigc_notice
from laotie.core.clock import Clock, SystemClock
from laotie.core.contracts import AdRequest, AdSlotFiller, LiveRooms, TrustGate
from laotie.core.errors import ArtefactError, InvalidInput, NotFound, Unavailable
from laotie.core.feedconfig import FeedConfig
from laotie.core.ids import new_id
from laotie.feed.bundle import Bundle, current_version, load_bundle, save_bundle
from laotie.feed.catalog import AIGC_STATUSES, KIND_CODES, KINDS, Catalog
from laotie.feed.cursor import Cursor, decode_cursor
from laotie.feed.live import LiveSignals
from laotie.feed.pipeline import Pipeline
from laotie.feed.schemas import (
    AdEntry,
    FeedEntry,
    FeedExplain,
    FeedPage,
    SimilarItem,
    SimilarItems,
    SimilarUser,
    SimilarUsers,
)
from laotie.feed.signals import column_max, interactions
from laotie.feed.similar import similar_items, similar_users
from laotie.feed.sources import (
    CovisitSource,
    FreshSource,
    LiveSource,
    PopularSource,
    TrainingSet,
)
from laotie.feed.state import ItemEvent, UserState, event_weight
from laotie.feed.store import FeedStore, window_data
from laotie.feed.training import (
    Factorise,
    TrainingInput,
    TrainReport,
    make_sources,
    train,
)

log = logging.getLogger(__name__)
_EXTERNAL_USER, _INTERNAL_USER = attrgetter("user_external_id"), attrgetter("user_id")
INSPECTION_WARNING = "inspection only: no impressions logged, nothing marked seen, no ads auctioned"
NO_MODEL_WARNING = "no trained model yet: serving a popularity/fresh feed (run `laotie train`)"


@dataclass(frozen=True)
class _Serving:
    bundle: Bundle
    catalog: Catalog
    pipeline: Pipeline
    trained: bool


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
        self.gate = gate
        self.ad_filler = ad_filler
        self.live = live
        self._users: dict[str, int] = {}
        self._recent: deque[ItemEvent] = deque(maxlen=200_000)
        self._pending: list[dict[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._flushing = False
        self._swap_lock = threading.Lock()
        self._checked_model = 0.0
        self._checked_catalog = 0.0
        self._watermark = (-1, -1)
        self._loading = False
        self._state: _Serving | None = None

    def attach_live(self, live: LiveRooms | None) -> None:
        """Read the rooms live now from ``live`` (the ``live`` source recommends them)."""
        self.live = live
        state = self._state
        if state is not None:
            self._attach_live(state.bundle)

    def _attach_live(self, bundle: Bundle) -> None:
        source = bundle.sources.get("live")
        if isinstance(source, LiveSource):
            source.attach(self.live)

    @property
    def _serving(self) -> _Serving:
        """The serving state, loaded on first use (the CURRENT model, else the fallback)."""
        state = self._state
        if state is None:
            with self._swap_lock:
                if self._state is None:
                    self._state = self._initial()
                state = self._state
        return state

    # --- serving state --------------------------------------------------------------------

    def _catalog(self, categories: list[str]) -> Catalog:
        self._watermark = self.store.item_watermark()
        return Catalog.from_frame(self.store.items(), categories=categories)

    def _initial(self) -> _Serving:
        self._users.update(self.store.user_map())
        version = current_version(self.models_dir)
        if version is not None:
            try:
                return self._serve(load_bundle(self.models_dir / version), trained=True)
            except ArtefactError as exc:
                log.error("cannot load model %s: %s; serving the fallback feed", version, exc)
        return self._fallback()

    def _serve(self, bundle: Bundle, *, trained: bool, catalog: Catalog | None = None) -> _Serving:
        catalog = catalog or self._catalog(bundle.categories)
        window_end = int(bundle.manifest.get("window", {}).get("end_ms", 0))
        missed = [o for o in list(self._recent) if o.ts_ms >= window_end]
        if missed:
            bundle.state.observe(catalog, missed)
        self._attach_live(bundle)
        covisit = bundle.sources.get("covisit")
        if self.signals is not None and isinstance(covisit, CovisitSource):
            covisit.share(self.signals.covisit_overlay(bundle.version))
        pipeline = Pipeline(bundle, catalog, self.config, clock=self.clock, gate=self.gate)
        return _Serving(bundle=bundle, catalog=catalog, pipeline=pipeline, trained=trained)

    def _fallback(self) -> _Serving:
        """Popular + fresh (+ follow/continue) fitted on recent events; no ranker."""
        now = self.clock.now_ms()
        start = now - 3 * self.config.popular.half_life_ms
        data = window_data(self.store, start_ms=start, end_ms=now + 1)
        catalog = Catalog.from_frame(data.items)
        self._watermark = self.store.item_watermark()
        pairs = interactions(data.events)
        pairs = pairs.filter(pairs["item_id"] < catalog.size)
        n_users = column_max(pairs["user_id"]) + 1
        state = UserState().load(catalog, pairs, data.follows)
        training = TrainingSet(
            catalog=catalog,
            events=data.events,
            pairs=pairs,
            state=state,
            now_ms=now,
            n_users=n_users,
        )
        sources = {
            name: source
            for name, source in make_sources(self.config).items()
            if name in ("continue", "follow", "popular", "fresh", "live")
        }
        for name, source in sources.items():
            sources[name] = source.fit(training)
        if "popular" not in sources:
            sources["popular"] = PopularSource().fit(training)
        if "fresh" not in sources:
            sources["fresh"] = FreshSource().fit(training)
        bundle = Bundle(
            version="fallback",
            sources=sources,
            stats=None,
            ranker=None,
            state=state,
            categories=list(catalog.categories),
            manifest={"window": {"end_ms": now}},
        )
        return self._serve(bundle, trained=False, catalog=catalog)

    @property
    def model_version(self) -> str | None:
        """The version being served (None for the untrained fallback)."""
        serving = self._serving
        return serving.bundle.version if serving.trained else None

    def swap(
        self,
        bundle: Bundle,
        *,
        catalog: Catalog | None = None,
        watermark: tuple[int, int] | None = None,
    ) -> None:
        """Serve ``bundle`` from the next request on (atomic reference swap); ``catalog`` is
        one just read to use instead of reading again, ``watermark`` the one read before it."""
        if watermark is not None:
            self._watermark = watermark
        with self._swap_lock:
            self._state = self._serve(bundle, trained=True, catalog=catalog)

    def reload(self) -> bool:
        """Load the CURRENT version if it is not the one served; keep the last good on failure."""
        version = current_version(self.models_dir)
        if version is None or version == self.model_version:
            return False
        try:
            bundle = load_bundle(self.models_dir / version)
        except ArtefactError as exc:
            log.error("refusing model %s: %s; still serving %s", version, exc, self.model_version)
            return False
        self.swap(bundle)
        log.info("now serving model %s", version)
        return True

    def _background_checks(self) -> None:
        now = time.monotonic()
        serving = self.config.serving
        if serving.reload_check_ms and now - self._checked_model >= serving.reload_check_ms / 1000:
            self._checked_model = now
            version = current_version(self.models_dir)
            if version is not None and version != self.model_version and not self._loading:
                self._loading = True
                threading.Thread(target=self._reload_in_background, daemon=True).start()
        if (
            serving.catalog_refresh_ms
            and now - self._checked_catalog >= serving.catalog_refresh_ms / 1000
        ):
            self._checked_catalog = now
            self.refresh_catalog()

    def _reload_in_background(self) -> None:
        try:
            self.reload()
        finally:
            self._loading = False

    def reconfigure(
        self, *, config: FeedConfig, models_dir: Path, ad_filler: AdSlotFiller | None
    ) -> None:
        """Serve with ``config``, the models under ``models_dir`` and ``ad_filler`` from the
        next request (a simulator arm); the events seen so far are replayed into its state."""
        with self._swap_lock:
            self.config, self.models_dir, self.ad_filler = config, Path(models_dir), ad_filler
            self._state = None

    def refresh_catalog(self) -> bool:
        """Rebuild the catalog if items were added or removed since it was loaded."""
        if self.store.item_watermark() == self._watermark:
            return False
        current = self._serving
        with self._swap_lock:
            catalog = self._catalog(current.bundle.categories)
            pipeline = Pipeline(
                current.bundle, catalog, self.config, clock=self.clock, gate=self.gate
            )
            self._state = _Serving(current.bundle, catalog, pipeline, current.trained)
        return True

    # --- requests -------------------------------------------------------------------------

    def _check_n(self, n: int) -> None:
        """``InvalidInput`` unless ``n`` is a page size from 1 to ``serving.max_n``."""
        limit = self.config.serving.max_n
        if not isinstance(n, int) or not 1 <= n <= limit:
            raise InvalidInput(
                f"n must be between 1 and {limit}, got {n}", field="n", limit=f"1..{limit}"
            )

    def similar_items(self, item_id: str, *, n: int = 20) -> SimilarItems:
        """The ``n`` items most like ``item_id`` (external id): trained vectors, or the content
        and category fallbacks for an item without one; ``NotFound`` for an unknown item."""
        self._check_n(n)
        serving = self._serving
        catalog = serving.catalog
        found = np.flatnonzero(catalog.external_id == item_id)
        if not len(found) or not catalog.valid[found[0]]:
            raise NotFound(f"no item {item_id!r} in the feed's catalog", field="item_id")
        ids, scores, basis = similar_items(serving.bundle, catalog, int(found[0]), n)
        return SimilarItems(
            item_id=item_id,
            basis=basis,
            model_version=self.model_version,
            items=[
                SimilarItem(
                    id=str(catalog.external_id[i]),
                    kind=KINDS[int(catalog.kind[i])],
                    title=str(catalog.title[i]),
                    score=float(s),
                )
                for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
                if i >= 0
            ],
        )

    def similar_users(self, user_id: str, *, n: int = 20) -> SimilarUsers:
        """The ``n`` users whose trained vectors are closest to ``user_id``'s; ``NotFound``
        for an unknown user, an empty list (basis ``none``) for one without a vector yet."""
        self._check_n(n)
        internal = self.resolve_user(user_id)
        if internal is None:
            raise NotFound(f"no user {user_id!r}", field="user_id")
        ids, scores, basis = similar_users(self._serving.bundle, internal, n)
        external = {v: k for k, v in self.store.user_map().items()} if basis != "none" else {}
        return SimilarUsers(
            user_id=user_id,
            basis=basis,
            model_version=self.model_version,
            users=[
                SimilarUser(id=external[i], score=float(s))
                for i, s in zip(ids.tolist(), scores.tolist(), strict=True)
                if i in external
            ],
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
        self._check_n(n)
        kind_codes = None
        if kinds:
            unknown = [k for k in kinds if k not in KIND_CODES]
            if unknown:
                raise InvalidInput(
                    f"unknown kind {unknown[0]!r}; known: {', '.join(KINDS)}",
                    field="kind",
                    limit=list(KINDS),
                )
            kind_codes = np.array([KIND_CODES[k] for k in kinds])
        previous = decode_cursor(cursor) if cursor else None
        self._background_checks()
        serving = self._serving
        now = self.clock.now_ms()
        request_id = new_id("req_", now_ms=now)
        internal = self.resolve_user(user_id)
        user = internal if internal is not None else -1
        exclude = np.asarray(previous.served if previous else (), np.int64)
        if internal is not None:
            self._catch_up(serving, internal)
        result = serving.pipeline.run(user, n, exclude=exclude, kinds=kind_codes, explain=explain)
        catalog = serving.catalog
        entries: list[FeedEntry | AdEntry] = []
        ads = self._ads(user, user_id, request_id, n, now) if log and self.ad_filler else []
        ad_positions = {ad.position for ad in ads}
        organic = iter(result.items)
        shown: list[int] = []
        for position in range(n):
            if position in ad_positions:
                ad = next(a for a in ads if a.position == position)
                entries.append(
                    AdEntry(
                        position=position,
                        impression_id=ad.impression_id,
                        campaign_id=ad.campaign_id,
                        creative_id=ad.creative_id,
                        title=ad.title,
                        landing_url=ad.landing_url,
                        aigc_notice=aigc_notice(ad.aigc_status),
                    )
                )
                continue
            ranked = next(organic, None)
            if ranked is None:
                break
            shown.append(ranked.item_id)
            status = AIGC_STATUSES[int(catalog.aigc[ranked.item_id])]
            entries.append(
                FeedEntry(
                    position=position,
                    id=str(catalog.external_id[ranked.item_id]),
                    kind=KINDS[int(catalog.kind[ranked.item_id])],
                    title=str(catalog.title[ranked.item_id]),
                    score=ranked.score,
                    aigc_status=status,
                    aigc_notice=aigc_notice(status),
                    explain=FeedExplain(
                        sources=ranked.sources,
                        predictions=ranked.predictions,
                        fused=ranked.fused,
                        adjustments=ranked.adjustments,
                    )
                    if explain
                    else None,
                )
            )
        served = (*(previous.served if previous else ()), *shown)[
            -self.config.serving.cursor_max_items :
        ]
        next_cursor = Cursor(
            session=previous.session if previous else request_id,
            page=(previous.page + 1) if previous else 2,
            served=tuple(served),
        ).encode()
        if log:
            if internal is not None:
                serving.bundle.state.mark_seen(internal, shown)
                self._share(lambda signals: signals.record_seen(internal, shown))
            self._log_impressions(user_id, request_id, now, entries)
        warnings = [] if serving.trained else [NO_MODEL_WARNING]
        if not log:
            warnings.append(INSPECTION_WARNING)
        return FeedPage(
            request_id=request_id,
            user_id=user_id,
            model_version=self.model_version,
            ranked_by=result.ranked_by,
            candidates=result.candidates,
            entries=entries,
            next_cursor=next_cursor,
            warnings=warnings,
        )

    def _catch_up(self, serving: _Serving, user: int) -> None:
        """Fold in what other serving processes saw of ``user`` since this one last looked."""
        self._share(lambda signals: signals.catch_up(serving.bundle.state, serving.catalog, [user]))

    def _share(self, action: Callable[[LiveSignals], object]) -> None:
        """Run ``action`` on the shared signals; an unreachable live state costs the page its
        freshest signals from other processes, never the page."""
        if self.signals is None:
            return
        try:
            action(self.signals)
        except Unavailable as exc:
            log.warning("feed serves on this process's signals only: %s", exc)

    def _ads(self, user: int, user_id: str, request_id: str, n: int, now: int) -> list[Any]:
        slots = [p for p in self.config.rerank.ad_slots if p < n]
        if not slots or self.ad_filler is None:
            return []
        try:
            placements = self.ad_filler.fill(
                AdRequest(
                    user_id=user,
                    user_external_id=user_id,
                    request_id=request_id,
                    slot_positions=slots,
                    now_ms=now,
                )
            )
        except Exception:  # an ad failure must never fail the feed
            log.exception("ad slot filler failed for request %s", request_id)
            return []
        return [p for p in placements if p.position in slots]

    def _log_impressions(self, user_id: str, request_id: str, now: int, entries: list[Any]) -> None:
        if not self.config.serving.log_impressions:
            return
        events = [
            {
                "id": f"imp-{request_id}-{e.position}",
                "type": "impression",
                "user_id": user_id,
                "item_id": e.id,
                "ts_ms": now,
                "request_id": request_id,
            }
            for e in entries
            if isinstance(e, FeedEntry)
        ]
        with self._pending_lock:
            self._pending.extend(events)
            due = len(self._pending) >= 2000 and not self._flushing
            if due:
                self._flushing = True
        if due:  # written off the request path; ``flush()`` writes synchronously
            threading.Thread(target=self._flush_in_background, daemon=True).start()

    def _flush_in_background(self) -> None:
        try:
            self.flush()
        finally:
            self._flushing = False

    def flush(self) -> int:
        """Write buffered impressions to the event log; returns how many were written."""
        with self._pending_lock:
            events, self._pending = self._pending, []
        if events:
            try:
                self.store.log(events)
            except Exception:
                log.exception("could not log %d impressions", len(events))
                return 0
        return len(events)

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
        self._share(lambda signals: signals.record(item_events))
        serving = self._state
        if serving is None:  # not loaded yet: the load replays ``_recent``
            return
        weights = [event_weight(e.type, e.watch_ms, e.duration_ms) for e in item_events]
        for source in serving.bundle.sources.values():
            source.observe(item_events, weights)
        serving.bundle.state.observe(serving.catalog, item_events, weights=weights)

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
        start = now - self.config.training.window_days * 86_400_000
        version = self._next_version(now)
        # the watermark is read first, so the catalog read after it holds every item it counts
        watermark = self.store.item_watermark()
        bound = watermark[1] + 1
        events, follows = self.store.activity(start_ms=start, end_ms=now)
        given = TrainingInput(
            events, follows, now, bound, lambda: Catalog.from_frame(self.store.items(), size=bound)
        )
        bundle, report = train(
            given, self.config, version=version, keep_inputs=keep_inputs, factorise=factorise
        )
        save_bundle(bundle, self.models_dir, keep=self.config.training.keep_versions)
        self.swap(bundle, catalog=report.catalog, watermark=watermark)
        return report

    def _next_version(self, now: int) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now / 1000))
        version, k = f"v{stamp}", 1
        while (self.models_dir / version).exists():
            k += 1
            version = f"v{stamp}-{k}"
        return version

    def close(self) -> None:
        """Flush buffered impressions."""
        self.flush()
