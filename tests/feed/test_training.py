"""Training internals: D2Q targets, ranker save/load, bundle checksums, the split window,
the deferred catalog read, public surface."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

import laotie.feed
from laotie.core.errors import ArtefactError
from laotie.core.feedconfig import FeedConfig
from laotie.feed import gate, gate_judge
from laotie.feed.blend import GatePages
from laotie.feed.bundle import Bundle, load_bundle, save_bundle
from laotie.feed.catalog import Catalog
from laotie.feed.features import FEATURES, FeatureStats, build_features
from laotie.feed.fusion import fuse
from laotie.feed.gate import SERVED_JUDGE_BUCKETS, held_out
from laotie.feed.negatives import negatives_wanted
from laotie.feed.ranker import Ranker, duration_buckets, watch_quantiles
from laotie.feed.signals import interactions, merge_interactions, rate_scale
from laotie.feed.training import TrainingInput, train


def test_public_surface_is_sorted_and_complete() -> None:
    names = laotie.feed.__all__
    assert names == sorted(names)
    assert all(hasattr(laotie.feed, name) for name in names)


def test_d2q_target_is_a_within_bucket_quantile() -> None:
    durations = np.array([10_000] * 4 + [100_000] * 4)
    watch = np.array([1_000, 2_000, 3_000, 4_000, 10_000, 20_000, 30_000, 40_000])
    edges = duration_buckets(durations, buckets=2)
    target, table = watch_quantiles(watch, durations, edges)
    # the same rank inside each bucket gets the same target, whatever the duration
    np.testing.assert_allclose(target[:4], target[4:])
    assert np.all(np.diff(target[:4]) > 0)
    ranker = Ranker()
    ranker.edges_, ranker.watch_table_ = edges, table
    back = ranker.expected_watch_ms(np.array([0.0, 1.0]), np.array([10_000, 100_000]))
    assert back[0] == pytest.approx(1_000) and back[1] == pytest.approx(40_000)


def test_ranker_save_load_predicts_the_same(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    features = rng.random((600, len(FEATURES))).astype(np.float32)
    labels = {
        k: (features[:, 0] + rng.random(600) > 1.0) for k in ("play", "long_view", "like", "hate")
    }
    labels["follow"] = np.zeros(600, bool)
    ranker = Ranker(n_estimators=10).fit(
        features, labels, watch_ms=rng.random(600) * 1e4, durations=np.full(600, 20_000)
    )
    assert "follow" in ranker.constants_ and "play" in ranker.models_
    ranker.save(tmp_path / "r.npz")
    loaded = Ranker.load(tmp_path / "r.npz")
    for name, values in ranker.predict(features[:50]).items():
        np.testing.assert_allclose(values, loaded.predict(features[:50])[name], rtol=1e-6)


def test_artefacts_of_other_feature_sets_are_refused(trained: Bundle, tmp_path: Path) -> None:
    import lightgbm as lgb

    assert trained.stats is not None and trained.ranker is not None
    trained.stats.save(tmp_path / "stats.npz")
    with np.load(tmp_path / "stats.npz") as data:
        older = {k: data[k] for k in data.files if k not in ("ucp_keys", "ucp_values")}
    np.savez(tmp_path / "old_stats.npz", **older)
    with pytest.raises(ArtefactError, match=r"lacks ucp_keys, ucp_values.*laotie train"):
        FeatureStats.load(tmp_path / "old_stats.npz")
    rng = np.random.default_rng(0)
    names = list(FEATURES[:25])  # the feature set before the user-category features
    trained.ranker.save(tmp_path / "ranker.npz")
    ranker = Ranker.load(tmp_path / "ranker.npz")  # a copy: the fixture is shared
    ranker.models_["play"] = lgb.train(
        {"objective": "binary", "verbosity": -1},
        lgb.Dataset(rng.random((200, 25)), label=rng.random(200) > 0.5, feature_name=names),
        num_boost_round=2,
    )
    ranker.save(tmp_path / "old_ranker.npz")
    with pytest.raises(ArtefactError, match="play model was trained on other features"):
        Ranker.load(tmp_path / "old_ranker.npz")


def test_sampled_negatives_only_top_up_the_shown_not_played_rows() -> None:
    def rows(plays: int, skips: int) -> pl.DataFrame:
        return pl.DataFrame({"play": [True] * plays + [False] * skips})

    assert negatives_wanted(rows(10, 0), 4) == 40  # ratings or plays only: all sampled
    assert negatives_wanted(rows(10, 15), 4) == 25
    assert negatives_wanted(rows(10, 80), 4) == 0  # impressions supply them
    assert negatives_wanted(rows(0, 5), 4) == 0
    assert negatives_wanted(rows(10, 0), 0) == 0


def test_tree_size_grows_with_the_training_rows() -> None:
    ranker = Ranker(num_leaves=31, min_data_in_leaf=40, rows_per_leaf=1000)
    assert ranker.capacity(50) == {"num_leaves": 4, "min_data_in_leaf": 5}
    assert ranker.capacity(8_000) == {"num_leaves": 8, "min_data_in_leaf": 40}
    assert ranker.capacity(400_000) == {"num_leaves": 31, "min_data_in_leaf": 40}
    assert ranker.params("play", rows=8_000)["num_leaves"] == 8


def test_fusion_is_monotone_in_each_objective() -> None:
    config = FeedConfig().fusion
    base = {
        k: np.array([0.2, 0.2])
        for k in ("play", "long_view", "like", "follow", "hate", "watch_quantile")
    }
    for objective in base:
        higher = {**base, objective: np.array([0.2, 0.4])}
        scores = fuse(higher, config)
        assert (scores[1] > scores[0]) == (objective != "hate")


def test_bundle_checksums_and_current(trained: Bundle, tmp_path: Path) -> None:
    path = save_bundle(trained, tmp_path)
    assert (tmp_path / "CURRENT").read_text() == "vtest"
    loaded = load_bundle(path)
    assert loaded.manifest["window"]["end_ms"] > loaded.manifest["window"]["start_ms"]
    assert set(loaded.sources) == set(trained.sources)
    with pytest.raises(ArtefactError):
        save_bundle(trained, tmp_path)  # versions are immutable
    (path / "sources" / "als.npz").write_bytes(b"junk")
    with pytest.raises(ArtefactError):
        load_bundle(path)


def test_training_is_deterministic(world: laotie.feed.FeedData) -> None:
    config = FeedConfig(ranker={"n_estimators": 10})
    first, _ = train(world, config, version="a")
    second, _ = train(world, config, version="b")
    features = np.random.default_rng(1).random((20, len(FEATURES))).astype(np.float32)
    for name, values in first.ranker.predict(features).items():
        np.testing.assert_array_equal(values, second.ranker.predict(features)[name])
    np.testing.assert_array_equal(
        first.sources["als"].item_factors_, second.sources["als"].item_factors_
    )


def test_old_versions_are_pruned_oldest_first(trained: Bundle, tmp_path: Path) -> None:
    import copy

    (tmp_path / "not-a-model").mkdir()
    for k in range(1, 12):
        version = copy.copy(trained)
        version.version = f"v1-{k}"
        save_bundle(version, tmp_path, keep=3)
    kept = sorted(p.name for p in tmp_path.iterdir() if (p / "manifest.json").is_file())
    assert kept == ["v1-10", "v1-11", "v1-9"]
    assert (tmp_path / "not-a-model").is_dir()


def test_merged_interactions_are_those_of_the_union(world: laotie.feed.FeedData) -> None:
    events = world.events
    split = int(events["ts_ms"].quantile(0.7))
    scale = rate_scale(events)
    parts = [
        interactions(events.filter(pl.col("ts_ms") < split), rate_max=scale),
        interactions(events.filter(pl.col("ts_ms") >= split), rate_max=scale),
    ]
    merged, whole = merge_interactions(*parts), interactions(events)
    assert merged.columns == whole.columns and merged.height == whole.height
    np.testing.assert_allclose(merged["weight"], whole["weight"], rtol=1e-9)
    assert merged.drop("weight").equals(whole.drop("weight"))


def test_training_reads_the_catalog_once_at_the_item_bound(world: laotie.feed.FeedData) -> None:
    """Items made after the bound (the watermark read before the catalog) wait for the next
    version; a reader that ignores the bound is refused."""
    late = world.items.tail(1).with_columns(pl.col("id") + 1000, pl.col("external_id") + "-late")
    bound = int(world.items["id"].max()) + 1
    reads: list[int] = []

    def read(size: int | None) -> Catalog:
        reads.append(1)
        return Catalog.from_frame(pl.concat([world.items, late]), size=size)

    given = TrainingInput(world.events, world.follows, world.now_ms, bound, lambda: read(bound))
    bundle, report = train(given, FeedConfig(), version="vbound")
    assert reads == [1] and report.catalog is not None and report.catalog.size == bound
    assert report.counts["items"] == int(world.items["status"].eq("published").sum())
    assert bundle.sources["als"].item_factors_.shape[0] == bound
    wrong = TrainingInput(world.events, world.follows, world.now_ms, bound, lambda: read(None))
    with pytest.raises(ValueError, match="item bound"):
        train(wrong, FeedConfig(), version="vwrong")


def test_user_category_features_tell_skipped_from_unseen_and_share_first_levels() -> None:
    items = pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "kind": ["video"] * 6,
            "creator_id": [1, 1, 2, 2, 3, 3],
            "category": [
                "美食/探店",
                "美食/探店",
                "美食/地方小吃",
                "游戏/手游",
                "游戏/手游",
                "音乐/翻唱",
            ],
            "duration_ms": [30_000] * 6,
            "created_at_ms": [0] * 6,
        }
    )
    catalog = Catalog.from_frame(items)
    events = pl.DataFrame(
        {
            "user_id": [1, 1, 1, 1, 1],
            "item_id": [1, 2, 4, 5, 3],
            "type": ["play", "play", "impression", "impression", "impression"],
            "ts_ms": [1, 2, 3, 4, 5],
            "watch_ms": [None] * 5,
            "duration_ms": [None] * 5,
            "value": [None] * 5,
        },
        schema_overrides={"watch_ms": pl.Int64, "duration_ms": pl.Int64, "value": pl.Float64},
    )
    stats = FeatureStats.fit(
        interactions(events), catalog, n_users=2, popularity=np.zeros(catalog.size)
    )
    lift, parent = (
        FEATURES.index("user_category_play_lift"),
        FEATURES.index("user_parent_category_affinity"),
    )
    row = build_features(
        stats,
        catalog,
        users=np.full(4, 1),
        items=np.array([1, 4, 6, 3]),  # played category, skipped one, unseen one, sibling
        now_ms=10,
        als_affinity=np.zeros(4),
        covisit_score=np.zeros(4),
        follows_creator=np.zeros(4),
        is_next_item=np.zeros(4),
    )
    assert row[0, lift] > 0 > row[1, lift] and row[2, lift] == 0
    assert row[3, parent] == row[0, parent] > 0 and row[1, parent] == row[2, parent] == 0


def _record_fits_and_gate_users(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[list[int], list[np.ndarray]]:
    """Lists that will hold the rows of every ranker fit and the users of every gate."""
    fitted: list[int] = []
    fit = Ranker.fit

    def recording_fit(self: Ranker, features: np.ndarray, *args: object, **kw: object) -> Ranker:
        fitted.append(len(features))
        return fit(self, features, *args, **kw)  # type: ignore[arg-type]

    judged: list[np.ndarray] = []
    choose = gate_judge.choose_blend

    def recording_choose(pages: GatePages, *args: object) -> object:
        judged.append(pages.by_user.users)
        return choose(pages, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Ranker, "fit", recording_fit)
    monkeypatch.setattr(gate_judge, "choose_blend", recording_choose)
    return fitted, judged


def test_gate_is_judged_by_a_ranker_cross_fitted_on_the_other_users(
    world: laotie.feed.FeedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The served ranker is fitted on every user's rows; the gate's on the rows of the users
    not held out, and only held-out users' pages (half the users) decide the blend."""
    fitted, judged = _record_fits_and_gate_users(monkeypatch)
    _, report = train(world, FeedConfig(ranker={"n_estimators": 10}), version="x")
    rows, held = report.counts["training_rows"], report.counts["holdout_rows"]
    assert sorted(fitted) == [rows - held, rows] and report.counts["ranker_rows"] == rows
    assert 0.3 * rows < held < 0.7 * rows
    users = np.unique(judged[0])
    assert len(users) >= 20 and held_out(users).all()
    assert {"play_auc", "blend_ndcg"} <= set(report.metrics)
    assert report.metrics["gate_judge"] == "cross_fit"


def test_on_a_large_log_the_served_ranker_leaves_one_user_in_ten_out_and_judges_them(
    world: laotie.feed.FeedData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When one bucket of users gives the gate enough pages, no second ranker is fitted: the
    served ranker is fitted without that bucket's rows and judges its users' pages."""
    monkeypatch.setattr(gate, "MIN_GATE_USERS", 3)  # the 150-user world stands for a large log
    fitted, judged = _record_fits_and_gate_users(monkeypatch)
    bundle, report = train(world, FeedConfig(ranker={"n_estimators": 10}), version="x")
    rows, held = report.counts["training_rows"], report.counts["holdout_rows"]
    assert fitted == [rows - held] == [report.counts["ranker_rows"]]
    assert 0.03 * rows < held < 0.2 * rows
    users = np.unique(judged[0])
    assert len(users) >= 3 and held_out(users, SERVED_JUDGE_BUCKETS).all()
    assert report.metrics["gate_judge"] == "served" and "play_auc" in report.metrics
    assert bundle.ranker is not None and bundle.ranker.models_
