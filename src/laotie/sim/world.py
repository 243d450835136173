"""The synthetic world: creators and items of the four kinds, as numpy arrays plus catalog rows.

``generate_world`` draws creators (quality, home category, AIGC propensity) and their items
(videos, series of episodes, novels of chapters, games) over the built-in taxonomy, or over
KuaiRec's real captions and categories when ``world.catalog`` is ``kuairec:DIR``. Hidden
attributes (quality, true AIGC, label) stay in the arrays; only what a platform would know
goes into the catalog rows the runner inserts.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE
from laotie.core.errors import InvalidInput
from laotie.core.kinds import AigcStatus, ItemKind
from laotie.sim import titles
from laotie.sim.config import WorldConfig
from laotie.sim.taxonomy import KIND_ROOTS, Category, categories, categories_under

KINDS: tuple[ItemKind, ...] = (ItemKind.VIDEO, ItemKind.EPISODE, ItemKind.CHAPTER, ItemKind.GAME)
KIND_CODE: dict[ItemKind, int] = {kind: i for i, kind in enumerate(KINDS)}
#: how far before the first simulated day the back catalog was published, in days
BACK_CATALOG_DAYS = 30


@dataclass
class Container:
    """A series or novel: its external id, kind of its units, creator index, title, category."""

    external_id: str
    kind: ItemKind
    creator: int
    title: str
    category: int
    publish_day: int


@dataclass
class World:
    """Creators and items; per-item arrays are aligned with ``item_ids``."""

    category_paths: list[str]
    category_first: np.ndarray
    creator_ids: list[str]
    creator_names: list[str]
    creator_quality: np.ndarray
    creator_home: np.ndarray
    creator_aigc: np.ndarray
    containers: list[Container]
    item_ids: list[str]
    titles: list[str]
    captions: list[str]
    kind: np.ndarray
    category: np.ndarray
    creator: np.ndarray
    container: np.ndarray
    position: np.ndarray
    duration_ms: np.ndarray
    quality: np.ndarray
    is_aigc: np.ndarray
    labelled: np.ndarray
    aigc_status: list[AigcStatus]
    publish_day: np.ndarray
    created_at_ms: np.ndarray
    next_item: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.item_ids)

    @property
    def n_categories(self) -> int:
        """Number of (second-level) categories."""
        return len(self.category_paths)

    def creators_rows(self) -> list[CreatorCreate]:
        """Catalog rows of every creator."""
        return [
            CreatorCreate(id=cid, name=name, attrs={"home": self.category_paths[home]})
            for cid, name, home in zip(
                self.creator_ids, self.creator_names, self.creator_home.tolist(), strict=True
            )
        ]

    def container_rows(self, day: int) -> list[ContainerCreate]:
        """Catalog rows of the series and novels published on ``day``."""
        return [
            ContainerCreate(
                id=c.external_id,
                creator_id=self.creator_ids[c.creator],
                title=c.title,
                category=self.category_paths[c.category],
            )
            for c in self.containers
            if c.publish_day == day
        ]

    def item_rows(self, day: int) -> list[ItemCreate]:
        """Catalog rows of the items published on ``day`` (0 = the back catalog)."""
        rows: list[ItemCreate] = []
        for i in np.flatnonzero(self.publish_day == day).tolist():
            parent = int(self.container[i])
            path = self.category_paths[int(self.category[i])]
            rows.append(
                ItemCreate(
                    id=self.item_ids[i],
                    kind=KINDS[int(self.kind[i])],
                    creator_id=self.creator_ids[int(self.creator[i])],
                    parent_id=self.containers[parent].external_id if parent >= 0 else None,
                    position=int(self.position[i]) if parent >= 0 else None,
                    title=self.titles[i],
                    caption=self.captions[i],
                    category=path,
                    tags=[p for p in path.split("/") if p],
                    duration_ms=int(self.duration_ms[i]),
                    aigc_status=self.aigc_status[i],
                    aigc_label=_label(self.aigc_status[i], self.item_ids[i]),
                    created_at_ms=int(self.created_at_ms[i]),
                )
            )
        return rows


def _label(status: AigcStatus, item_id: str) -> dict[str, str]:
    if status is AigcStatus.CONFIRMED:
        return {"Label": "1", "ContentProducer": "laotie-sim", "ProduceID": item_id}
    return {}


def _creator_roles(config: WorldConfig) -> list[str]:
    """First-level roots of the creators: container creators first, the rest make videos."""
    roles = (
        ["短剧"] * (max(1, config.series // 2) if config.series else 0)
        + ["小说"] * (max(1, config.novels // 2) if config.novels else 0)
        + ["小游戏"] * (max(1, config.games // 8) if config.games else 0)
    )
    videos = max(config.creators - len(roles), 1 if config.videos else 0)
    return roles + ["video"] * videos


class _Builder:
    """Accumulates items while the generator draws them."""

    def __init__(self) -> None:
        self.cols: dict[str, list[object]] = {
            k: []
            for k in (
                "ids",
                "titles",
                "captions",
                "kind",
                "category",
                "creator",
                "container",
                "position",
                "duration_s",
                "publish_day",
            )
        }

    def add(self, **values: object) -> None:
        for key, value in values.items():
            self.cols[key].append(value)


def generate_world(
    config: WorldConfig, *, days: int, start_ms: int, rng: np.random.Generator
) -> World:
    """Draw a world for a run of ``days`` days starting at ``start_ms`` (epoch ms)."""
    if config.catalog != "generated" and not config.catalog.startswith("kuairec:"):
        raise InvalidInput(
            f"world.catalog must be 'generated' or 'kuairec:DIR', got {config.catalog!r}",
            field="world.catalog",
        )
    cats = categories()
    video_cats: list[Category] = [c for c in cats if c.first not in KIND_ROOTS.values()]
    kuairec = (
        _kuairec_videos(config.catalog.removeprefix("kuairec:"), config.videos, rng)
        if (config.catalog.startswith("kuairec:"))
        else None
    )
    paths = [c.path for c in cats]
    first_names = list(dict.fromkeys(c.first for c in cats))
    if kuairec is not None:
        extra = sorted({path for _, path in kuairec} - set(paths))
        paths = paths + extra
        first_names += [p.split("/")[0] for p in extra if p.split("/")[0] not in first_names]
    first_of = np.array([first_names.index(p.split("/")[0]) for p in paths], dtype=np.int64)
    path_index = {p: i for i, p in enumerate(paths)}

    roles = _creator_roles(config)
    n_creators = len(roles)
    creator_quality = rng.normal(0.0, config.creator_quality_sd, n_creators)
    homes: list[Category] = []
    for role in roles:
        pool = video_cats if role == "video" else categories_under(role)
        homes.append(pool[int(rng.integers(len(pool)))])
    creator_home = np.array([path_index[h.path] for h in homes], dtype=np.int64)
    aigc_creator = rng.random(n_creators) < config.aigc_creator_share
    propensity = rng.beta(
        max(config.aigc_item_rate, 1e-3) * 4, max(1 - config.aigc_item_rate, 1e-3) * 4, n_creators
    )
    creator_aigc = np.where(aigc_creator, propensity, 0.0)
    creator_ids = [f"sim-c{i:05d}" for i in range(n_creators)]
    creator_names = [f"{titles.creator_name(h, rng)}{i}" for i, h in enumerate(homes)]

    new_share = min(config.new_item_share * max(days - 1, 0), 0.5)

    def publish_day() -> int:
        if days > 1 and rng.random() < new_share:
            return int(rng.integers(1, days))
        return 0

    b = _Builder()
    containers: list[Container] = []
    by_role = {r: [i for i, x in enumerate(roles) if x == r] for r in set(roles)}

    video_creators = by_role.get("video", [])
    if config.videos and video_creators:
        weights = rng.pareto(1.5, len(video_creators)) + 0.2
        weights /= weights.sum()
        makers = rng.choice(video_creators, size=config.videos, p=weights)
        for n, c in enumerate(makers.tolist()):
            if kuairec is not None:
                caption, path = kuairec[n % len(kuairec)]
                cat = path_index[path]
                title = caption[:60]
            else:
                home = homes[c]
                cat_obj = (
                    home if rng.random() < 0.8 else video_cats[int(rng.integers(len(video_cats)))]
                )
                cat = path_index[cat_obj.path]
                title = titles.video_title(cat_obj, rng)
                caption = f"{title} #{cat_obj.first} #{cat_obj.second}"
            duration = float(np.exp(rng.normal(config.video_log_mean_s, config.video_log_sd_s)))
            b.add(
                ids=f"sim-v{n:06d}",
                titles=title,
                captions=caption,
                kind=KIND_CODE[ItemKind.VIDEO],
                category=cat,
                creator=c,
                container=-1,
                position=0,
                duration_s=min(max(duration, config.video_min_s), config.video_max_s),
                publish_day=publish_day(),
            )

    for kind, count, low, high, dur in (
        (
            ItemKind.EPISODE,
            config.series,
            config.episodes_min,
            config.episodes_max,
            (config.episode_min_s, config.episode_max_s),
        ),
        (
            ItemKind.CHAPTER,
            config.novels,
            config.chapters_min,
            config.chapters_max,
            (config.chapter_min_s, config.chapter_max_s),
        ),
    ):
        makers_pool = by_role.get(KIND_ROOTS[kind], [])
        for n in range(count):
            c = makers_pool[n % len(makers_pool)]
            home = homes[c]
            if kind is ItemKind.EPISODE:
                name, prefix = titles.series_title(home, rng), "sim-s"
            else:
                name, prefix = titles.novel_title(home, rng), "sim-n"
            day = publish_day()
            index = len(containers)
            containers.append(
                Container(f"{prefix}{n:04d}", kind, c, name, path_index[home.path], day)
            )
            length = int(rng.integers(low, high + 1))
            for pos in range(1, length + 1):
                if kind is ItemKind.EPISODE:
                    title = titles.episode_title(name, pos)
                else:
                    title = titles.chapter_title(name, pos, rng)
                b.add(
                    ids=f"{prefix}{n:04d}-{pos:03d}",
                    titles=title,
                    captions=f"{name}：{title} #{home.first} #{home.second}",
                    kind=KIND_CODE[kind],
                    category=path_index[home.path],
                    creator=c,
                    container=index,
                    position=pos,
                    duration_s=float(rng.uniform(*dur)),
                    publish_day=day,
                )

    game_makers = by_role.get("小游戏", [])
    for n in range(config.games if game_makers else 0):
        c = game_makers[n % len(game_makers)]
        pool = categories_under("小游戏")
        cat_obj = homes[c] if rng.random() < 0.6 else pool[int(rng.integers(len(pool)))]
        title = titles.game_title(cat_obj, rng)
        b.add(
            ids=f"sim-g{n:05d}",
            titles=title,
            captions=f"{title} #{cat_obj.first} #{cat_obj.second}",
            kind=KIND_CODE[ItemKind.GAME],
            category=path_index[cat_obj.path],
            creator=c,
            container=-1,
            position=0,
            duration_s=float(rng.uniform(config.game_min_s, config.game_max_s)),
            publish_day=publish_day(),
        )

    cols = b.cols
    n_items = len(cols["ids"])
    creator = np.asarray(cols["creator"], dtype=np.int64)
    container = np.asarray(cols["container"], dtype=np.int64)
    # episodes of one series share most of their quality: a good drama is good throughout
    base = creator_quality[creator] + rng.normal(0.0, config.item_quality_sd, n_items)
    if containers:
        shift = rng.normal(0.0, config.item_quality_sd, len(containers))
        base = np.where(container >= 0, creator_quality[creator] + shift[container], base)
    container_aigc = (
        rng.random(max(len(containers), 1)) < creator_aigc[[c.creator for c in containers] or [0]]
    )
    is_aigc = np.where(
        container >= 0,
        container_aigc[np.maximum(container, 0)],
        rng.random(n_items) < creator_aigc[creator],
    )
    quality = base + np.where(is_aigc, config.aigc_quality_shift, 0.0)
    labelled = is_aigc & (rng.random(n_items) < config.aigc_label_rate)
    declared = rng.random(n_items) < 0.3
    status = [
        (AigcStatus.DECLARED if d else AigcStatus.CONFIRMED) if lab else AigcStatus.NONE
        for lab, d in zip(labelled.tolist(), declared.tolist(), strict=True)
    ]
    publish = np.asarray(cols["publish_day"], dtype=np.int64)
    offset = rng.integers(0, BACK_CATALOG_DAYS * MS_PER_DAY, n_items)
    # uploads during the run enter the catalog at the start of their day (the runner inserts
    # them then), a few seconds apart
    hour = rng.integers(0, MS_PER_MINUTE, n_items)
    created = np.where(
        publish == 0, start_ms - MS_PER_DAY - offset, start_ms + publish * MS_PER_DAY + hour
    )
    duration_ms = np.round(np.asarray(cols["duration_s"], dtype=np.float64) * 1000).astype(np.int64)
    position = np.asarray(cols["position"], dtype=np.int64)
    next_item = np.full(n_items, -1, dtype=np.int64)
    same = (container[1:] >= 0) & (container[1:] == container[:-1])
    next_item[:-1][same] = np.arange(1, n_items)[same]
    return World(
        category_paths=paths,
        category_first=first_of,
        creator_ids=creator_ids,
        creator_names=creator_names,
        creator_quality=creator_quality,
        creator_home=creator_home,
        creator_aigc=creator_aigc,
        containers=containers,
        item_ids=[str(x) for x in cols["ids"]],
        titles=[str(x) for x in cols["titles"]],
        captions=[str(x) for x in cols["captions"]],
        kind=np.asarray(cols["kind"], dtype=np.int64),
        category=np.asarray(cols["category"], dtype=np.int64),
        creator=creator,
        container=container,
        position=position,
        duration_ms=np.maximum(duration_ms, 1000),
        quality=quality,
        is_aigc=is_aigc,
        labelled=labelled,
        aigc_status=status,
        publish_day=publish,
        created_at_ms=created.astype(np.int64),
        next_item=next_item,
    )


def _kuairec_videos(directory: str, limit: int, rng: np.random.Generator) -> list[tuple[str, str]]:
    """(caption, "一级/二级") pairs from KuaiRec's caption table, shuffled, at most ``limit``."""
    path = Path(directory) / "kuairec_caption_category.csv"
    if not path.is_file():
        raise InvalidInput(
            f"world.catalog: {path} not found (expected KuaiRec's kuairec_caption_category.csv)",
            field="world.catalog",
        )
    rows: list[tuple[str, str]] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            caption = " ".join((row.get("caption") or "").split())
            first = row.get("first_level_category_name") or "UNKNOWN"
            second = row.get("second_level_category_name") or "UNKNOWN"
            if not caption or first == "UNKNOWN":
                continue
            second = "综合" if second == "UNKNOWN" else second
            rows.append((caption, f"{first}/{second}"))
    if not rows:
        raise InvalidInput(
            f"world.catalog: {path} holds no captioned videos", field="world.catalog"
        )
    order = rng.permutation(len(rows))[: max(limit, 1)]
    return [rows[i] for i in order.tolist()]
