"""The real feed as a simulator policy: pages from ``FeedService.feed``, nightly ``train``.

The policy serves through the wired ``FeedService`` (the one ``laotie.wiring`` subscribed to
the event log), reconfigured with the run's ``run.feed`` overrides (e.g. a popularity-only
pipeline for an A/B arm), its own models folder and with wall-clock background checks
switched off: the simulator refreshes the catalog when it publishes and swaps models when it
trains, so a run is reproducible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from laotie.core.settings import merged
from laotie.feed import AdEntry, FeedConfig, FeedEntry, FeedService
from laotie.sim.config import SimConfig
from laotie.sim.policies import Served, ServedAd, SimView

#: serving settings the simulator needs: no wall-clock reload or catalog checks
SIM_SERVING = {"reload_check_ms": 0, "catalog_refresh_ms": 0}


def feed_config(base: FeedConfig, overrides: dict[str, Any], *, seed: int) -> FeedConfig:
    """``base`` with the run's overrides, the simulator's serving settings and its seed."""
    data = merged(base.model_dump(), overrides)
    data = merged(data, {"serving": {**SIM_SERVING, "seed": seed}})
    return FeedConfig.model_validate(data)


class FeedPolicy:
    """Serves simulated users through the feed service, as the HTTP API would."""

    name = "feed"

    def __init__(self, view: SimView, services: Any, config: SimConfig) -> None:
        self.view = view
        self.services = services
        self.feed: FeedService = services.feed
        self.feed.reconfigure(
            config=feed_config(self.feed.config, config.run.feed, seed=config.run.seed),
            models_dir=services.settings.home / "models" / "feed-sim",
            ad_filler=services.ads.serving if config.run.ads else None,
        )
        self._cursors: dict[int, str] = {}

    def serve(self, user: int, *, n: int, page: int, now_ms: int) -> Served:
        """One page; pages after the first continue the session's cursor."""
        cursor = self._cursors.get(user) if page > 0 else None
        result = self.feed.feed(self.view.population.user_ids[user], n=n, cursor=cursor)
        self._cursors[user] = result.next_cursor
        items: list[int] = []
        ads: list[ServedAd] = []
        for entry in result.entries:
            if isinstance(entry, FeedEntry):
                index = self.view.index_of.get(entry.id)
                if index is not None:
                    items.append(index)
            elif isinstance(entry, AdEntry):
                ads.append(
                    ServedAd(
                        position=len(items),
                        impression_id=entry.impression_id,
                        campaign_id=entry.campaign_id,
                        aigc=entry.aigc_notice is not None,
                    )
                )
        return Served(
            items=np.asarray(items, dtype=np.int64),
            request_id=result.request_id,
            ads=ads,
            impressions_logged=self.feed.config.serving.log_impressions,
        )

    def published(self) -> None:
        """New items entered the catalog: let the feed see them from the next request."""
        self.feed.served.refresh_catalog()

    def end_of_day(self) -> None:
        """Write the impressions the feed still buffers, before the day is compacted."""
        self.feed.flush()

    def nightly(self, *, now_ms: int) -> dict[str, Any]:
        """Train a new feed version on the events so far and serve it."""
        report = self.feed.train(now_ms=now_ms)
        return {"feed_version": self.feed.served.version, "train": _brief(report)}


def _brief(report: Any) -> dict[str, Any]:
    data = report.__dict__ if hasattr(report, "__dict__") else {}
    return {k: v for k, v in data.items() if isinstance(v, int | float | str)}
