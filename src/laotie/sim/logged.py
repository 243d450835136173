"""A logged history over the simulator's world: what the feed trains, evaluates and is
benchmarked on when no real log is at hand (``laotie evaluate world:N``, the feed tests).

The catalog (``generate_world``), the users (``generate_population``) and every reaction
(``simulate_page``) are the simulator's own, so offline figures and simulated A/Bs read one
world. Only the pages are new: a logging policy shows pages of ``PAGE`` items published by
then, three quarters drawn by the user's interests and the items' quality, one quarter from
the catalog's best items; how often a user opens a page follows their activity level with a
long tail, so most users are sparse and a few are heavy, as in real logs.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.feed import FeedData
from laotie.sim.behaviour import PageOutcome, simulate_page
from laotie.sim.config import SimConfig, WorldConfig
from laotie.sim.users import Population, generate_population
from laotie.sim.world import KINDS, World, generate_world

#: items on one logged page, and how many of them the policy draws by the user's interests
PAGE = 8
PERSONAL = 6
#: share of each kind in the catalog (videos, episodes, chapters, games) and their containers
_KIND_SHARES = {"videos": 0.70, "episodes": 0.15, "chapters": 0.10, "games": 0.05}
_PER_CONTAINER = 10
#: pages the policy draws at once
_CHUNK = 2_000
#: the event types a logged page yields, in the order they happen on one impression
_EVENT_TYPES = ("impression", "play", "watch", "like", "follow", "hate")


def world_sizes(items: int, creators: int | None = None) -> dict[str, int]:
    """``WorldConfig`` sizes giving about ``items`` items in the shares of ``_KIND_SHARES``
    (series and novels of ``_PER_CONTAINER`` units; by default a creator for every 20 items)."""
    series = max(1, round(items * _KIND_SHARES["episodes"] / _PER_CONTAINER))
    novels = max(1, round(items * _KIND_SHARES["chapters"] / _PER_CONTAINER))
    return {
        "creators": creators or max(1, items // 20),
        "videos": max(1, round(items * _KIND_SHARES["videos"])),
        "series": series,
        "episodes_min": _PER_CONTAINER,
        "episodes_max": _PER_CONTAINER,
        "novels": novels,
        "chapters_min": _PER_CONTAINER,
        "chapters_max": _PER_CONTAINER,
        "games": max(1, round(items * _KIND_SHARES["games"])),
    }


def logged_world(
    *,
    items: int = 2000,
    users: int = 300,
    events: int = 30_000,
    creators: int | None = None,
    days: int = 14,
    now_ms: int = 1_767_225_600_000,
    seed: int = 0,
    config: SimConfig | None = None,
) -> FeedData:
    """About ``events`` events of ``users`` users over ``days`` days ending at ``now_ms``, on a
    catalog of about ``items`` items by ``creators`` creators (default: one per 20 items);
    reproducible from ``seed``. Item and user ids are 1..N."""
    sim = config or SimConfig()
    rng = np.random.default_rng(seed)
    world_config = WorldConfig.model_validate(
        sim.world.model_dump() | world_sizes(items, creators) | {"catalog": "generated"}
    )
    world = generate_world(world_config, days=days, start_ms=now_ms - days * MS_PER_DAY, rng=rng)
    population = generate_population(
        sim.users, n_users=users, category_first=world.category_first, rng=rng
    )
    pages = _log_pages(sim, world, population, events=events, days=days, now_ms=now_ms, rng=rng)
    return FeedData(
        items=_items_frame(world),
        events=pages["events"],
        follows=pages["follows"],
        now_ms=now_ms,
    )


def _activity(sim: SimConfig, population: Population, rng: np.random.Generator) -> np.ndarray:
    """Each user's share of the pages: their level's expected sessions, times a long tail."""
    level = np.asarray(sim.users.base_return) * np.asarray(sim.users.sessions_per_day)
    weight = level[population.activity] * (rng.pareto(1.5, population.n_users) + 1.0)
    return weight / weight.sum()


class _Policy:
    """The logging policy, drawing many pages at once: a category by the user's interests,
    then an item of it by quality, for ``PERSONAL`` slots; the rest by quality over the whole
    catalog. Items published after the page's time, and repeats, are dropped from it."""

    def __init__(self, world: World, population: Population) -> None:
        appeal = np.exp(world.quality)
        self.world = world
        self.by_category = np.argsort(world.category, kind="stable")
        categories = world.category[self.by_category]
        n_categories = int(population.interests.shape[1])
        self.starts = np.searchsorted(categories, np.arange(n_categories + 1))
        self.cum_appeal = np.cumsum(appeal[self.by_category])
        stocked = np.bincount(categories, minlength=n_categories) > 0
        self.cum_interest = np.cumsum(population.interests * stocked, axis=1)
        self.cum_best = np.cumsum(appeal**2)

    def _in_category(self, category: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        first, last = self.starts[category], self.starts[category + 1] - 1
        low = np.where(first > 0, self.cum_appeal[np.maximum(first - 1, 0)], 0.0)
        high = self.cum_appeal[last]
        picked = np.searchsorted(self.cum_appeal, low + rng.random(category.shape) * (high - low))
        return self.by_category[np.clip(picked, first, last)]

    def pages(
        self, users: np.ndarray, times: np.ndarray, rng: np.random.Generator
    ) -> list[np.ndarray]:
        """One page for each (user, time)."""
        cum = self.cum_interest[users]
        draw = rng.random((users.size, PERSONAL)) * cum[:, -1:]
        category = (cum[:, None, :] <= draw[:, :, None]).sum(axis=2)
        personal = self._in_category(category, rng)
        best = rng.random((users.size, PAGE - PERSONAL)) * self.cum_best[-1]
        popular = np.minimum(np.searchsorted(self.cum_best, best), self.cum_best.size - 1)
        drawn = rng.permuted(np.concatenate([personal, popular], axis=1), axis=1)
        created = self.world.created_at_ms
        out = []
        for row, ts in zip(drawn, times.tolist(), strict=True):
            keep = row[created[row] <= ts]
            _, first = np.unique(keep, return_index=True)
            out.append(keep[np.sort(first)])
        return out


def _log_pages(
    sim: SimConfig,
    world: World,
    population: Population,
    *,
    events: int,
    days: int,
    now_ms: int,
    rng: np.random.Generator,
) -> dict[str, pl.DataFrame]:
    """Pages shown and judged until about ``events`` events were logged."""
    share = _activity(sim, population, rng)
    start_ms = max(now_ms - days * MS_PER_DAY, int(world.created_at_ms.min()))
    policy = _Policy(world, population)
    columns: dict[str, list[np.ndarray]] = {
        k: [] for k in ("user", "item", "type", "ts", "watch", "duration")
    }
    follows: list[tuple[int, int, int]] = []
    logged = 0
    while logged < events:
        users = rng.choice(population.n_users, size=_CHUNK, p=share)
        times = rng.integers(start_ms, now_ms - PAGE * 60_000, size=_CHUNK)
        for user, ts, page in zip(
            users.tolist(), times.tolist(), policy.pages(users, times, rng), strict=True
        ):
            if logged >= events:
                break
            if not page.size:
                continue
            outcome = simulate_page(
                sim.behaviour, population, world, user=user, items=page, seen_before=0, rng=rng
            )
            logged += _append(columns, follows, world, user, ts, outcome)
    frame = pl.DataFrame(
        {
            "user_id": np.concatenate(columns["user"]) + 1,
            "item_id": np.concatenate(columns["item"]) + 1,
            "type": np.concatenate(columns["type"]),
            "ts_ms": np.concatenate(columns["ts"]),
            "watch_ms": np.concatenate(columns["watch"]),
            "duration_ms": np.concatenate(columns["duration"]),
            "value": 0.0,
        }
    )
    follow_frame = pl.DataFrame(
        follows, schema={"user_id": pl.Int64, "creator_id": pl.Int64, "created_at_ms": pl.Int64},
        orient="row",
    ).unique(["user_id", "creator_id"], keep="first")  # fmt: skip
    return {"events": frame.sort("ts_ms"), "follows": follow_frame}


def _append(
    columns: dict[str, list[np.ndarray]],
    follows: list[tuple[int, int, int]],
    world: World,
    user: int,
    ts_ms: int,
    outcome: PageOutcome,
) -> int:
    """Add one judged page's events (each impression a minute apart); the number added."""
    shown = outcome.items
    at = ts_ms + np.arange(shown.size, dtype=np.int64) * 60_000
    masks = {
        "impression": np.ones(shown.size, bool),
        "play": outcome.engaged,
        "watch": np.ones(shown.size, bool),
        "like": outcome.like,
        "follow": outcome.follow,
        "hate": outcome.hate,
    }
    added = 0
    for offset, name in enumerate(_EVENT_TYPES):
        mask = masks[name]
        count = int(mask.sum())
        if not count:
            continue
        columns["user"].append(np.full(count, user, dtype=np.int64))
        columns["item"].append(shown[mask].astype(np.int64))
        columns["type"].append(np.full(count, name, dtype=object))
        after = outcome.watch_ms[mask] if offset > 2 else 0
        columns["ts"].append(at[mask] + offset * 1000 + after)
        watch = name == "watch"
        columns["watch"].append(np.where(watch, outcome.watch_ms[mask], 0))
        columns["duration"].append(np.where(watch, world.duration_ms[shown[mask]], 0))
        added += count
    for item, ts in zip(shown[outcome.follow].tolist(), at[outcome.follow].tolist(), strict=True):
        follows.append((user + 1, int(world.creator[item]) + 1, int(ts)))
    return added


def _items_frame(world: World) -> pl.DataFrame:
    """The catalog as the feed reads it (ids 1..N; a series or novel id is its container + 1)."""
    n = len(world.item_ids)
    kinds = np.array([KINDS[k].value for k in world.kind.tolist()])
    container = np.asarray(world.container) + 1
    return pl.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "external_id": world.item_ids,
            "kind": kinds,
            "creator_id": np.asarray(world.creator) + 1,
            "series_id": np.where(kinds == "episode", container, -1),
            "novel_id": np.where(kinds == "chapter", container, -1),
            "position": np.where(container > 0, world.position, -1),
            "title": world.titles,
            "caption": world.captions,
            "category": [world.category_paths[c] for c in world.category.tolist()],
            "duration_ms": world.duration_ms,
            "created_at_ms": world.created_at_ms,
            "status": "published",
            "aigc_status": [s.value for s in world.aigc_status],
        }
    ).with_columns(
        pl.col("series_id").replace(-1, None),
        pl.col("novel_id").replace(-1, None),
        pl.col("position").replace(-1, None),
    )
