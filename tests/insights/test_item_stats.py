"""An item's engagement on its page and at GET /v1/items/{id}/stats: counted from the events
of that item only, valid plays and long views on the KuaiRand boundaries."""

from __future__ import annotations

import time

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.store.repos import catalog


def _seed(services) -> None:
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        for item in ("v1", "v2"):
            catalog.create_item(
                s, item=ItemCreate(id=item, kind="video", creator_id="c1", title=item)
            )
    now = int(time.time() * 1000) - 60_000
    rows = [("impression", f"u{n}", "v1", {}) for n in range(5)]
    rows += [("impression", "u0", "v1", {}), ("impression", "u9", "v2", {})]
    rows += [("play", "u0", "v1", {}), ("play", "u1", "v1", {}), ("like", "u0", "v1", {})]
    rows += [
        # 7 s video watched to the end: valid play and long view (short videos finish)
        ("watch", "u0", "v1", {"watch_ms": 7_000, "duration_ms": 7_000}),
        # exactly 18 s of a 60 s video: valid and long (KuaiRand: long_view is >= 18 s)
        ("watch", "u1", "v1", {"watch_ms": 18_000, "duration_ms": 60_000}),
        # 5 s of a 60 s video: neither
        ("watch", "u2", "v1", {"watch_ms": 5_000, "duration_ms": 60_000}),
        ("watch", "u9", "v2", {"watch_ms": 60_000, "duration_ms": 60_000}),
    ]
    services.events.ingest(
        [
            {"id": f"e{n}", "type": t, "user_id": u, "item_id": i, "ts_ms": now + n, **extra}
            for n, (t, u, i, extra) in enumerate(rows)
        ]
    )


def test_item_stats_count_only_that_item_on_the_kuairand_rules(services, client, make_headers):
    _seed(services)
    stats = services.insights.item_stats("v1")
    assert (stats.impressions, stats.viewers, stats.plays, stats.likes) == (6, 5, 2, 1)
    assert (stats.valid_plays, stats.long_views) == (2, 2)
    assert stats.watch_minutes == round(30_000 / 60_000, 2)
    assert stats.play_rate == round(2 / 6, 4) and stats.like_rate == round(1 / 6, 4)
    answer = client.get("/v1/items/v1/stats", headers=make_headers("creator", "c1"))
    assert answer.status_code == 200 and answer.json()["long_views"] == 2
    assert (
        client.get("/v1/items/nope/stats", headers=make_headers("creator", "c1")).status_code == 404
    )
    bad = client.get("/v1/items/v1/stats?days=0", headers=make_headers("creator", "c1"))
    assert bad.status_code == 422 and "days" in bad.text
    empty = services.insights.item_stats("v2", days=1)
    assert (empty.impressions, empty.long_views, empty.like_rate) == (1, 1, 0.0)
