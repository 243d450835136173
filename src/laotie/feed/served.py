"""The version the feed serves: loaded on first use (the CURRENT model, else the fallback),
swapped atomically, reloaded when CURRENT moves and its catalog refreshed when items change.

Serving state (bundle + catalog + pipeline) is one immutable object replaced by reference, so
a swap is atomic: a request uses the state it started with, and the next request the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from laotie.core.clock import Clock
from laotie.core.contracts import LiveRooms, TrustGate
from laotie.core.errors import ArtefactError
from laotie.core.feedconfig import FeedConfig
from laotie.feed.bundle import Bundle, current_version, load_bundle
from laotie.feed.catalog import Catalog
from laotie.feed.fallback import fallback_bundle
from laotie.feed.live import LiveSignals
from laotie.feed.pipeline import Pipeline
from laotie.feed.sources import CovisitSource, LiveSource
from laotie.feed.state import ItemEvent
from laotie.feed.store import FeedStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Serving:
    """What one request is served from."""

    bundle: Bundle
    catalog: Catalog
    pipeline: Pipeline
    trained: bool


class ServedModel:
    """The feed's serving state and how it is replaced."""

    def __init__(
        self,
        store: FeedStore,
        *,
        config: FeedConfig,
        models_dir: Path,
        clock: Clock,
        gate: TrustGate | None,
        live: LiveRooms | None,
        signals: LiveSignals | None,
        recent: deque[ItemEvent],
        users: dict[str, int],
    ) -> None:
        self.store = store
        self.config = config
        self.models_dir = Path(models_dir)
        self.clock = clock
        self.gate = gate
        self.live = live
        self.signals = signals
        #: events seen since start: replayed into a state whose training window ended before
        self.recent = recent
        #: the user-id map, filled from the store when the first state is loaded
        self.users = users
        self._swap_lock = threading.Lock()
        self._checked_model = 0.0
        self._checked_catalog = 0.0
        self._watermark = (-1, -1)
        self._loading = False
        self._state: Serving | None = None

    def peek(self) -> Serving | None:
        """The serving state if it is loaded (None: the next ``state`` loads it)."""
        return self._state

    def reset(self, *, config: FeedConfig, models_dir: Path) -> None:
        """Serve with ``config`` and the models under ``models_dir``, loaded on next use."""
        with self._swap_lock:
            self.config, self.models_dir = config, Path(models_dir)
            self._state = None

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
    def state(self) -> Serving:
        """The serving state, loaded on first use (the CURRENT model, else the fallback)."""
        state = self._state
        if state is None:
            with self._swap_lock:
                if self._state is None:
                    self._state = self._initial()
                state = self._state
        return state

    def _catalog(self, categories: list[str]) -> Catalog:
        self._watermark = self.store.item_watermark()
        return Catalog.from_frame(self.store.items(), categories=categories)

    def _initial(self) -> Serving:
        self.users.update(self.store.user_map())
        version = current_version(self.models_dir)
        if version is not None:
            try:
                return self._serve(load_bundle(self.models_dir / version), trained=True)
            except ArtefactError as exc:
                log.error("cannot load model %s: %s; serving the fallback feed", version, exc)
        return self._fallback()

    def _serve(self, bundle: Bundle, *, trained: bool, catalog: Catalog | None = None) -> Serving:
        catalog = catalog or self._catalog(bundle.categories)
        window_end = int(bundle.manifest.get("window", {}).get("end_ms", 0))
        missed = [o for o in list(self.recent) if o.ts_ms >= window_end]
        if missed:
            bundle.state.observe(catalog, missed)
        self._attach_live(bundle)
        covisit = bundle.sources.get("covisit")
        if self.signals is not None and isinstance(covisit, CovisitSource):
            covisit.share(self.signals.covisit_overlay(bundle.version))
        pipeline = Pipeline(bundle, catalog, self.config, clock=self.clock, gate=self.gate)
        return Serving(bundle=bundle, catalog=catalog, pipeline=pipeline, trained=trained)

    def _fallback(self) -> Serving:
        """Popular + fresh (+ follow/continue/live) fitted on recent events; no ranker."""
        bundle, catalog, self._watermark = fallback_bundle(
            self.store, self.config, now_ms=self.clock.now_ms()
        )
        return self._serve(bundle, trained=False, catalog=catalog)

    @property
    def version(self) -> str | None:
        """The version being served (None for the untrained fallback)."""
        serving = self.state
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
        if version is None or version == self.version:
            return False
        try:
            bundle = load_bundle(self.models_dir / version)
        except ArtefactError as exc:
            log.error("refusing model %s: %s; still serving %s", version, exc, self.version)
            return False
        self.swap(bundle)
        log.info("now serving model %s", version)
        return True

    def poll(self) -> None:
        """Every ``serving.reload_check_ms``, reload in the background when CURRENT moved;
        every ``serving.catalog_refresh_ms``, refresh the catalog."""
        now = time.monotonic()
        serving = self.config.serving
        if serving.reload_check_ms and now - self._checked_model >= serving.reload_check_ms / 1000:
            self._checked_model = now
            version = current_version(self.models_dir)
            if version is not None and version != self.version and not self._loading:
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

    def refresh_catalog(self) -> bool:
        """Rebuild the catalog if items were added or removed since it was loaded."""
        if self.store.item_watermark() == self._watermark:
            return False
        current = self.state
        with self._swap_lock:
            catalog = self._catalog(current.bundle.categories)
            pipeline = Pipeline(
                current.bundle, catalog, self.config, clock=self.clock, gate=self.gate
            )
            self._state = Serving(current.bundle, catalog, pipeline, current.trained)
        return True
