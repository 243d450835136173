"""A generated world (items, users, events, follows) with known structure, for tests and benchmarks.

Users prefer a few categories; an item's appeal to a user is the dot product of latent
vectors plus the item's quality. Impressions are drawn half from the user's categories and
half from the overall popularity; plays, watch time, likes, follows and hates follow the
appeal. Everything is vectorised and reproducible from ``seed``.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.feed.signals import FeedData

_WORDS = [
    "美食",
    "家常菜",
    "旅行",
    "风景",
    "搞笑",
    "日常",
    "萌宠",
    "猫咪",
    "游戏",
    "攻略",
    "穿搭",
    "美妆",
    "健身",
    "舞蹈",
    "音乐",
    "翻唱",
    "汽车",
    "科技",
    "数码",
    "手机",
    "亲子",
    "育儿",
    "情感",
    "故事",
    "历史",
    "读书",
    "电影",
    "解说",
    "剧情",
    "甜宠",
    "逆袭",
    "总裁",
    "重生",
    "穿越",
    "修仙",
    "武侠",
    "悬疑",
    "推理",
    "三农",
    "乡村",
    "钓鱼",
    "户外",
    "篮球",
    "足球",
    "摄影",
    "手工",
    "绘画",
    "书法",
]
_KIND_SHARES = (("video", 0.7), ("episode", 0.15), ("chapter", 0.1), ("game", 0.05))


def generate_world(
    *,
    n_items: int = 2000,
    n_users: int = 300,
    n_events: int = 30_000,
    n_categories: int = 20,
    days: int = 14,
    now_ms: int = 1_767_225_600_000,
    seed: int = 0,
) -> FeedData:
    """A world of about ``n_events`` events; item ids are 1..n_items, user ids 1..n_users."""
    rng = np.random.default_rng(seed)
    dim = 8
    centers = rng.normal(size=(n_categories, dim))
    ids = np.arange(1, n_items + 1)
    category = rng.integers(0, n_categories, n_items)
    item_vec = centers[category] + 0.5 * rng.normal(size=(n_items, dim))
    quality = rng.normal(0, 0.7, n_items)
    n_creators = max(1, n_items // 20)
    creator = rng.integers(1, n_creators + 1, n_items)
    kinds = rng.choice([k for k, _ in _KIND_SHARES], n_items, p=[s for _, s in _KIND_SHARES])
    # episodes/chapters form containers of 10 consecutive items of one category and creator
    container_key = np.where(np.isin(kinds, ["episode", "chapter"]), ids // 10, -1)
    series_id = np.where(kinds == "episode", container_key + 1, -1)
    novel_id = np.where(kinds == "chapter", container_key + 1, -1)
    position = np.where(container_key >= 0, ids % 10 + 1, -1)
    created = now_ms - (rng.random(n_items) ** 0.7 * days * 1.5 * MS_PER_DAY).astype(np.int64)
    duration = np.where(
        kinds == "chapter",
        rng.integers(120_000, 600_000, n_items),
        np.where(
            kinds == "episode",
            rng.integers(60_000, 180_000, n_items),
            rng.lognormal(np.log(25_000), 0.7, n_items).astype(np.int64),
        ),
    )
    aigc = rng.choice(
        ["none", "declared", "suspected", "confirmed"], n_items, p=[0.8, 0.08, 0.04, 0.08]
    )
    words = np.array(_WORDS)
    cat_words = rng.integers(0, len(words), (n_categories, 4))
    pick = cat_words[category[:, None], rng.integers(0, 4, (n_items, 2))]
    titles = [f"{words[a]}{words[b]}第{i}集" for i, (a, b) in zip(ids, pick, strict=True)]
    items = pl.DataFrame(
        {
            "id": ids,
            "external_id": [f"i{i}" for i in ids],
            "kind": kinds,
            "creator_id": creator,
            "series_id": series_id,
            "novel_id": novel_id,
            "position": position,
            "title": titles,
            "caption": "",
            "category": [f"c{c}" for c in category],
            "duration_ms": duration,
            "created_at_ms": created,
            "status": "published",
            "aigc_status": aigc,
        }
    ).with_columns(
        pl.col("series_id").replace(-1, None),
        pl.col("novel_id").replace(-1, None),
        pl.col("position").replace(-1, None),
    )
    user_cats = np.stack([rng.choice(n_categories, 3, replace=False) for _ in range(n_users)])
    user_vec = centers[user_cats].mean(axis=1) + 0.3 * rng.normal(size=(n_users, dim))
    activity = rng.pareto(1.5, n_users) + 1
    n_imp = max(1, n_events // 2)
    users = rng.choice(n_users, n_imp, p=activity / activity.sum())
    ts = now_ms - (rng.random(n_imp) * days * MS_PER_DAY).astype(np.int64)
    by_cat = np.lexsort((-quality, category))
    starts = np.searchsorted(category[by_cat], np.arange(n_categories + 1))
    chosen_cat = user_cats[users, rng.integers(0, 3, n_imp)]
    span = np.maximum(starts[chosen_cat + 1] - starts[chosen_cat], 1)
    in_cat = by_cat[
        np.minimum(starts[chosen_cat] + (rng.random(n_imp) ** 2 * span).astype(int), n_items - 1)
    ]
    popular = np.argsort(-quality)[(rng.random(n_imp) ** 3 * n_items).astype(int)]
    item = np.where(rng.random(n_imp) < 0.75, in_cat, popular)
    ok = created[item] <= ts
    users, ts, item = users[ok], ts[ok], item[ok]
    appeal = np.einsum("ij,ij->i", user_vec[users], item_vec[item]) / dim + quality[item]
    p_play = 1 / (1 + np.exp(-(2.0 * appeal - 0.5)))
    play = rng.random(len(item)) < p_play
    ratio = np.clip(rng.beta(2, 2, len(item)) * (0.6 + 0.6 / (1 + np.exp(-2 * appeal))), 0, 1.5)
    watch = np.where(play, ratio * duration[item], rng.random(len(item)) * 2000).astype(np.int64)
    like = play & (rng.random(len(item)) < 1 / (1 + np.exp(-(3 * appeal - 3))))
    follow = play & (rng.random(len(item)) < 0.02 + 0.05 * (appeal > 1))
    hate = ~play & (rng.random(len(item)) < 0.04 / (1 + np.exp(2 * appeal)))
    rows = [
        ("impression", np.ones(len(item), bool), 0),
        ("play", play, 1),
        ("watch", np.ones(len(item), bool), 2),
        ("like", like, 3),
        ("follow", follow, 4),
        ("hate", hate, 5),
    ]
    frames = []
    for name, mask, offset in rows:
        frames.append(
            pl.DataFrame(
                {
                    "user_id": users[mask] + 1,
                    "item_id": item[mask] + 1,
                    "type": name,
                    "ts_ms": ts[mask] + offset * 1000 + (watch[mask] if offset > 2 else 0),
                    "watch_ms": np.where(name == "watch", watch[mask], 0),
                    "duration_ms": np.where(name == "watch", duration[item[mask]], 0),
                    "value": 0.0,
                }
            )
        )
    events = pl.concat(frames).sort("ts_ms")
    f_users = users[follow] + 1
    follows = pl.DataFrame(
        {"user_id": f_users, "creator_id": creator[item[follow]], "created_at_ms": ts[follow]}
    ).unique(["user_id", "creator_id"])
    return FeedData(items=items, events=events, follows=follows, now_ms=now_ms)
