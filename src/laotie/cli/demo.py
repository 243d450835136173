"""``laotie demo``: build a small world, feed it events and serve the API on embedded defaults."""

from __future__ import annotations

from typing import Annotated

import numpy as np
import typer

from laotie.cli._common import console, services
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY
from laotie.store.repos import access, catalog

CATEGORIES = ("美食/家常菜", "旅行/国内游", "搞笑/段子", "知识/科普", "游戏/手游", "音乐/翻唱")
TITLES = ("三分钟学会{}", "{}的正确打开方式", "原来{}还能这样", "一口气看完{}", "{}合集")


def demo(
    users: Annotated[int, typer.Option(help="simulated users")] = 200,
    items: Annotated[int, typer.Option(help="generated items")] = 300,
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the API afterwards")
    ] = True,
) -> None:
    """Generate a catalog and events, then serve the API. Example: laotie demo --no-serve"""
    rng = np.random.default_rng(seed)
    svc = services()
    now = svc.clock.now_ms()
    with svc.db.session() as session:
        existing = catalog.list_items(session, limit=1).items
        if not existing:
            creators = [
                CreatorCreate(id=f"demo_c{i:03d}", name=f"创作者{i:03d}") for i in range(20)
            ]
            catalog.bulk_create_creators(session, creators=creators)
            catalog.bulk_create_items(
                session,
                items=[
                    ItemCreate(
                        id=f"demo_v{i:05d}",
                        kind="video",
                        creator_id=creators[i % len(creators)].id,
                        title=TITLES[i % len(TITLES)].format(
                            CATEGORIES[i % len(CATEGORIES)].split("/")[1]
                        ),
                        category=CATEGORIES[i % len(CATEGORIES)],
                        duration_ms=int(rng.integers(5_000, 120_000)),
                        created_at_ms=now - int(rng.integers(0, 7 * MS_PER_DAY)),
                    )
                    for i in range(items)
                ],
            )
        key, _ = access.create_key(session, role="admin", name="demo")
    popularity = rng.zipf(1.6, size=items).astype(float)
    probabilities = popularity / popularity.sum()
    batch = []
    for u in range(users):
        for j, item in enumerate(rng.choice(items, size=20, p=probabilities)):
            duration = 60_000
            batch.append(
                {
                    "id": f"demo_{seed}_{u}_{j}",
                    "type": "watch",
                    "user_id": f"demo_u{u:04d}",
                    "item_id": f"demo_v{item:05d}",
                    "ts_ms": now - int(rng.integers(0, 3 * MS_PER_DAY)),
                    "watch_ms": int(rng.integers(1_000, duration)),
                    "duration_ms": duration,
                }
            )
    result = svc.events.ingest(batch)
    console.print(f"ingested {result.accepted:,} events ({result.duplicate:,} already there)")
    config = svc.settings
    console.print(f"admin key: [bold green]{key}[/]")
    if not serve:
        return
    import uvicorn

    from laotie.api import create_app

    console.print(
        f"API: http://{config.host}:{config.port}/v1/health  docs: http://{config.host}:{config.port}/docs"
    )
    uvicorn.run(create_app(svc), host=config.host, port=config.port, log_level="warning")
