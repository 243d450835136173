"""World generator: taxonomy size, readable titles, durations, containers, AIGC, KuaiRec."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from laotie.core.errors import InvalidInput
from laotie.sim import TAXONOMY, WorldConfig, categories, generate_world
from laotie.sim.calibration import fit_video_durations
from laotie.sim.world import KIND_CODE, ItemKind

START = 1_767_542_400_000


def world(**changes: object):
    return generate_world(
        WorldConfig(**changes), days=5, start_ms=START, rng=np.random.default_rng(3)
    )


def test_taxonomy_has_enough_categories() -> None:
    assert len(TAXONOMY) >= 10
    assert len(categories()) >= 30
    for seconds in TAXONOMY.values():
        for nouns in seconds.values():
            assert len(set(nouns)) >= 5


def test_titles_are_readable_varied_chinese() -> None:
    w = world()
    han = re.compile(r"[\u4e00-\u9fff]")
    assert all(han.search(t) for t in w.titles)
    assert not any(re.search(r"item_?\d", t) for t in w.titles)
    videos = [t for t, k in zip(w.titles, w.kind.tolist(), strict=True) if k == 0]
    assert len(set(videos)) / len(videos) > 0.8
    assert all(han.search(n) for n in w.creator_names)


def test_kinds_containers_and_durations() -> None:
    w = world()
    counts = np.bincount(w.kind, minlength=4)
    assert (counts > 0).all()
    episodes = w.kind == KIND_CODE[ItemKind.EPISODE]
    assert w.duration_ms[episodes].min() >= 60_000
    assert w.duration_ms[episodes].max() <= 180_000
    lengths = np.bincount(w.container[episodes])
    assert lengths.min() >= 30 and lengths.max() <= 100
    # next_item walks each series in order
    first = int(np.flatnonzero(episodes)[0])
    assert w.position[w.next_item[first]] == w.position[first] + 1
    series_ends = int((w.next_item[episodes] < 0).sum())
    assert series_ends == len([c for c in w.containers if c.kind is ItemKind.EPISODE])
    videos = w.kind == 0
    median_s = np.median(w.duration_ms[videos]) / 1000
    assert 40 < median_s < 130  # lognormal fit to KuaiRand: median exp(4.23) = 69 s


def test_aigc_items_come_from_aigc_creators_and_labels_are_a_subset() -> None:
    w = world(aigc_creator_share=0.5)
    assert w.is_aigc.any() and (~w.is_aigc).any()
    assert not (w.labelled & ~w.is_aigc).any()
    assert (w.creator_aigc[w.creator[w.is_aigc]] > 0).all()
    statuses = {s.value for s, lab in zip(w.aigc_status, w.labelled, strict=True) if lab}
    assert statuses <= {"confirmed", "declared"}


def test_same_seed_same_world() -> None:
    a, b = world(), world()
    assert a.titles == b.titles
    assert np.array_equal(a.quality, b.quality)


def test_catalog_rows_validate_and_new_items_arrive_later() -> None:
    w = world(new_item_share=0.2)
    back = w.item_rows(0)
    later = sum(len(w.item_rows(d)) for d in range(1, 5))
    assert len(back) + later == w.n_items
    assert later > 0
    assert all(r.created_at_ms < START for r in back)


def test_bad_catalog_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        world(catalog="movielens:/x")
    assert err.value.field == "world.catalog"
    with pytest.raises(InvalidInput):
        world(catalog="kuairec:/does/not/exist")


def test_kuairec_catalog_uses_real_captions(shared_data: Path) -> None:
    w = world(catalog=f"kuairec:{shared_data / 'kuairec'}", videos=200)
    videos = [t for t, k in zip(w.titles, w.kind.tolist(), strict=True) if k == 0]
    assert len(videos) == 200
    assert len({w.category_paths[c] for c in w.category[w.kind == 0].tolist()}) > 10


def test_duration_fit_matches_the_defaults(shared_data: Path) -> None:
    fit = fit_video_durations(shared_data / "kuairand" / "video_features_basic_pure.csv")
    defaults = WorldConfig()
    assert fit.n > 7000
    assert abs(fit.log_mean_s - defaults.video_log_mean_s) < 0.01
    assert abs(fit.log_sd_s - defaults.video_log_sd_s) < 0.01
