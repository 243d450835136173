"""Every retrieval source passes one contract; each also gets the answer its rule implies."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import polars as pl
import pytest
from scipy import sparse

from laotie.core.clock import MS_PER_DAY, ManualClock
from laotie.core.contracts import LiveRoomSignal
from laotie.feed.catalog import Catalog
from laotie.feed.rows import training_set
from laotie.feed.signals import FeedData
from laotie.feed.sources import (
    AlsSource,
    ContentSource,
    ContinueSource,
    CovisitSource,
    EaseSource,
    FollowSource,
    FreshSource,
    LiveSource,
    PopularSource,
    Source,
    TrainingSet,
)
from laotie.feed.sources.content import match_terms
from laotie.feed.sources.ease import ease_weights
from laotie.feed.sources.popular import choose_half_life
from laotie.feed.state import Observation, UserState

NOW = 1_767_225_600_000


class SourceContract:
    """Shared checks: shapes, padding, order, validity, batch == single, save/load."""

    source_type: type[Source]
    params: ClassVar[dict[str, object]] = {}

    @pytest.fixture
    def fitted(self, training: TrainingSet, catalog: Catalog, clock: ManualClock) -> Source:
        source = self.source_type(**self.params)
        assert source.fit(training) is source
        return source.bind(catalog=catalog, state=training.state, clock=clock)

    def users(self) -> np.ndarray:
        return np.array([1, 2, 5, 17, 40, 99])

    def test_shapes_padding_and_order(self, fitted: Source, catalog: Catalog) -> None:
        ids, scores = fitted.recommend(self.users(), 25)
        assert ids.shape == scores.shape == (6, 25)
        assert ids.dtype == np.int64
        for row_ids, row_scores in zip(ids, scores, strict=True):
            real = row_ids >= 0
            assert np.all(real[: real.sum()]), "padding only at the end"
            assert np.all(np.isneginf(row_scores[~real]))
            assert np.all(np.diff(row_scores[real]) <= 1e-6), "best first"
            assert len(set(row_ids[real].tolist())) == real.sum(), "no duplicates"
            assert np.all(catalog.valid[row_ids[real]])

    def test_batch_equals_single(self, fitted: Source) -> None:
        ids, scores = fitted.recommend(self.users(), 10)
        for row, user in enumerate(self.users()):
            single_ids, single_scores = fitted.recommend_one(int(user), 10)
            np.testing.assert_array_equal(ids[row], single_ids)
            np.testing.assert_allclose(scores[row], single_scores, rtol=1e-5)

    def reattach(self, loaded: Source, fitted: Source) -> Source:
        """What a loaded source needs again beyond its file (the live source: its signals)."""
        return loaded

    def test_unknown_user_does_not_fail(self, fitted: Source) -> None:
        ids, _ = fitted.recommend(np.array([10_000_000, -1]), 5)
        assert ids.shape == (2, 5)

    def test_save_load_roundtrip(
        self,
        fitted: Source,
        tmp_path: Path,
        catalog: Catalog,
        training: TrainingSet,
        clock: ManualClock,
    ) -> None:
        path = tmp_path / "source.npz"
        fitted.save(path)
        with np.load(path, allow_pickle=False) as data:
            assert "__params__" in data.files
        loaded = self.reattach(type(fitted).load(path), fitted)
        loaded.bind(catalog=catalog, state=training.state, clock=clock)
        assert loaded.get_params() == fitted.get_params()
        np.testing.assert_array_equal(
            fitted.recommend(self.users(), 10)[0], loaded.recommend(self.users(), 10)[0]
        )

    def test_corrupt_file_is_refused(self, tmp_path: Path) -> None:
        from laotie.core.errors import ArtefactError

        path = tmp_path / "broken.npz"
        path.write_bytes(b"not a zip file")
        with pytest.raises(ArtefactError):
            self.source_type.load(path)


def _two_cluster_world() -> FeedData:
    """Users 1-20 play only items 1-20 (category a), users 21-40 only 21-40 (category b)."""
    rng = np.random.default_rng(0)
    rows = []
    for user in range(1, 41):
        group = 0 if user <= 20 else 20
        for item in rng.choice(np.arange(1, 21), 12, replace=False) + group:
            rows.append((user, int(item), "play", NOW - int(rng.integers(1, 5 * MS_PER_DAY))))
    events = pl.DataFrame(rows, schema=["user_id", "item_id", "type", "ts_ms"], orient="row")
    items = pl.DataFrame(
        {
            "id": np.arange(1, 41),
            "creator_id": np.arange(1, 41) % 5 + 1,
            "category": ["a"] * 20 + ["b"] * 20,
            "title": ["红烧肉家常菜做法"] * 20 + ["篮球比赛精彩集锦"] * 20,
            "created_at_ms": NOW - 20 * MS_PER_DAY,
        }
    )
    return FeedData(items=items, events=events, now_ms=NOW)


def _fit(source: Source, data: FeedData) -> tuple[Source, TrainingSet, Catalog]:
    catalog = Catalog.from_frame(data.items)
    training = training_set(
        catalog, data.events, data.follows, now_ms=data.now_ms, n_users=41, long_view_ms=18_000
    )
    source.fit(training).bind(catalog=catalog, state=training.state, clock=ManualClock(NOW))
    return source, training, catalog


class TestAls(SourceContract):
    source_type = AlsSource
    params: ClassVar[dict[str, object]] = {"factors": 8, "iterations": 5}

    def test_recommends_the_users_cluster(self) -> None:
        source, _, _ = _fit(AlsSource(factors=4, iterations=10), _two_cluster_world())
        ids, _ = source.recommend(np.array([1, 30]), 10)
        assert np.all((ids[0] >= 1) & (ids[0] <= 20))
        assert np.all((ids[1] >= 21) & (ids[1] <= 40))

    def test_item_vectors_are_saved_once_and_load_exactly(
        self, fitted: Source, tmp_path: Path
    ) -> None:
        assert isinstance(fitted, AlsSource)
        fitted.save(tmp_path / "als.npz")
        with np.load(tmp_path / "als.npz", allow_pickle=False) as data:
            assert "item_factors_" not in data.files  # the index holds them
        loaded = AlsSource.load(tmp_path / "als.npz")
        assert np.array_equal(loaded.item_factors_, fitted.item_factors_)
        users, items = np.array([1, 2, 3]), np.array([5, 6, 10_000_000])
        assert np.array_equal(
            loaded.pair_affinity(users, items), fitted.pair_affinity(users, items)
        )

    def test_an_artefact_of_another_version_is_refused_by_name(
        self, fitted: Source, tmp_path: Path
    ) -> None:
        from laotie.core.errors import ArtefactError

        fitted.save(tmp_path / "new.npz")
        with np.load(tmp_path / "new.npz", allow_pickle=False) as data:
            older = {name: data[name] for name in data.files if name != "item_count_"}
        np.savez(tmp_path / "old.npz", **older, item_factors_=fitted.item_factors_)  # type: ignore[attr-defined]
        with pytest.raises(ArtefactError, match=r"lacks item_count_.*laotie train"):
            AlsSource.load(tmp_path / "old.npz")


class TestCovisit(SourceContract):
    source_type = CovisitSource

    def test_neighbours_of_recent_positives_and_real_time(self) -> None:
        source, training, catalog = _fit(CovisitSource(), _two_cluster_world())
        ids, _ = source.recommend_one(1, 10)
        assert len(ids[ids >= 0]) and np.all(ids[ids >= 0] <= 20)
        # an event just ingested changes the next request: user 99 (no history) plays item 30
        assert not np.any(source.recommend_one(99, 5)[0] >= 0)
        state = training.state
        state.observe(catalog, [Observation(99, 30, "play", NOW)])
        after = source.recommend_one(99, 5)[0]
        assert np.all((after[after >= 0] >= 21) & (after[after >= 0] <= 40)) and (after >= 0).any()

    def test_observe_learns_live_pairs_from_positive_events_only(self) -> None:
        source, training, catalog = _fit(CovisitSource(), _two_cluster_world())
        training.state.observe(catalog, [Observation(99, 3, "play", NOW)])
        assert 35 not in source.neighbours(3)[0].tolist()
        events = [Observation(99, 35, "play", NOW), Observation(99, 36, "play", NOW)]
        source.observe(events, [1.0, 0.5])  # the feed passes each event's event_weight
        neighbours = source.neighbours(3)[0].tolist()
        assert 35 in neighbours and 36 not in neighbours

    def test_live_pairs_are_added(self) -> None:
        source, _, _ = _fit(CovisitSource(), _two_cluster_world())
        source.add_pairs(source.pairs(35, [3]))
        ids, _ = source.neighbours(3)
        assert 35 in ids.tolist()


class TestEase(SourceContract):
    source_type = EaseSource

    def test_items_played_together_and_real_time(self) -> None:
        source, training, catalog = _fit(EaseSource(l2=10.0), _two_cluster_world())
        assert isinstance(source, EaseSource)
        ids, _ = source.recommend_one(1, 10)
        played = training.pairs.filter(pl.col("user_id") == 1)["item_id"].to_list()
        assert len(ids[ids >= 0]) and np.all(ids[ids >= 0] <= 20)
        assert not set(ids.tolist()) & set(played), "the user's history is not recommended"
        assert not np.any(source.recommend_one(99, 5)[0] >= 0)
        training.state.observe(catalog, [Observation(99, 30, "play", NOW)])
        after = source.recommend_one(99, 5)[0]
        assert (after >= 0).any() and np.all((after[after >= 0] >= 21) & (after[after >= 0] <= 40))

    def test_batch_recommend_is_recommend_one_of_each_user(self) -> None:
        source, training, catalog = _fit(EaseSource(l2=10.0), _two_cluster_world())
        training.state.observe(catalog, [Observation(99, 30, "play", NOW)])
        users = np.array([1, 5, 25, 99, 77])  # 99: real-time history only; 77: none
        ids, scores = source.recommend(users, 12)
        for row, user in enumerate(users.tolist()):
            one_ids, one_scores = source.recommend_one(user, 12)
            np.testing.assert_allclose(scores[row], one_scores, rtol=1e-5)
            assert set(ids[row].tolist()) == set(one_ids.tolist())

    def test_weights_are_steck_closed_form(self) -> None:
        """The Cholesky solve gives Steck's ``B = -P / diag(P)`` of the general inverse,
        with a zero diagonal, on a matrix wider than one mirroring block."""
        rng = np.random.default_rng(3)
        matrix = sparse.random(400, 700, density=0.03, random_state=rng, format="csr")
        matrix.data[:] = 1.0
        gram = (matrix.T @ matrix).toarray() + 5.0 * np.eye(700)
        precision = np.linalg.inv(gram)
        expected = -precision / np.diag(precision)
        np.fill_diagonal(expected, 0.0)
        weights = ease_weights(matrix, 5.0)
        assert weights.dtype == np.float32
        np.testing.assert_allclose(weights, expected, atol=1e-6)
        assert not np.diag(weights).any()

    def test_only_the_most_played_items_are_modelled(self) -> None:
        source, _, _ = _fit(EaseSource(max_items=10), _two_cluster_world())
        assert isinstance(source, EaseSource)
        assert len(np.unique(source.neighbours_)) <= 10


class TestPopular(SourceContract):
    source_type = PopularSource

    def test_most_played_first(self) -> None:
        data = _two_cluster_world()
        extra = pl.DataFrame(
            {"user_id": np.arange(1, 41), "item_id": 7, "type": "like", "ts_ms": NOW - 1000}
        )
        data = FeedData(
            items=data.items,
            events=pl.concat([data.events, extra], how="diagonal_relaxed"),
            now_ms=NOW,
        )
        source, _, _ = _fit(PopularSource(), data)
        assert source.recommend_one(25, 5)[0][0] == 7

    def test_half_life_is_learned_from_the_late_part(self) -> None:
        """Item 1 was popular a month ago, item 2 in the last days; the late part plays item 1
        again, so the half-life that keeps item 1 on top (months, not days) wins."""
        day = MS_PER_DAY
        early = pl.DataFrame(
            {
                "user_id": [*range(10), 20, 21, 22],
                "item_id": [1] * 10 + [2] * 3,
                "weight": 1.0,
                "last_ts_ms": [NOW - 40 * day] * 10 + [NOW - day] * 3,
            }
        )
        late = pl.DataFrame({"item_id": [1, 1, 1], "positive": True})
        chosen = choose_half_life(early, late, split_ms=NOW, size=5, base_ms=3 * day, depth=1)
        assert chosen > 3 * day
        late = pl.DataFrame({"item_id": [2, 2, 2], "positive": True})
        assert choose_half_life(early, late, split_ms=NOW, size=5, base_ms=3 * day, depth=1) == (
            3 * day
        )


class TestFresh(SourceContract):
    source_type = FreshSource

    def test_only_new_items_and_deterministic(self) -> None:
        data = _two_cluster_world()
        items = data.items.with_columns(
            pl.when(pl.col("id") > 35)
            .then(NOW - MS_PER_DAY)
            .otherwise(pl.col("created_at_ms"))
            .alias("created_at_ms")
        )
        source, _, _ = _fit(
            FreshSource(new_creator_window_ms=1),
            FeedData(items=items, events=data.events, now_ms=NOW),
        )
        first = source.recommend_one(3, 10)[0]
        assert set(first[first >= 0].tolist()) <= {36, 37, 38, 39, 40} and (first >= 0).any()
        np.testing.assert_array_equal(first, source.recommend_one(3, 10)[0])


class TestFollow(SourceContract):
    source_type = FollowSource

    def test_newest_items_of_followed_creators(self) -> None:
        data = _two_cluster_world()
        follows = pl.DataFrame({"user_id": [1], "creator_id": [2], "created_at_ms": [NOW]})
        source, _, catalog = _fit(
            FollowSource(),
            FeedData(items=data.items, events=data.events, follows=follows, now_ms=NOW),
        )
        ids = source.recommend_one(1, 50)[0]
        ids = ids[ids >= 0]
        assert len(ids) == 8 and np.all(catalog.creator[ids] == 2)


class TestContinue(SourceContract):
    source_type = ContinueSource

    def test_next_episode_after_progress(self) -> None:
        items = pl.DataFrame(
            {
                "id": [1, 2, 3, 4],
                "kind": ["episode"] * 3 + ["video"],
                "series_id": [9, 9, 9, None],
                "position": [1, 2, 3, None],
                "creator_id": 1,
                "created_at_ms": NOW - MS_PER_DAY,
            }
        )
        events = pl.DataFrame(
            {
                "user_id": [1, 1],
                "item_id": [1, 2],
                "type": "play",
                "ts_ms": [NOW - 5000, NOW - 4000],
            }
        )
        source, _, _ = _fit(ContinueSource(), FeedData(items=items, events=events, now_ms=NOW))
        assert source.recommend_one(1, 3)[0].tolist() == [3, -1, -1]


class TestContent(SourceContract):
    source_type = ContentSource

    def test_similar_text_for_a_user_with_few_positives(self) -> None:
        source, training, _ = _fit(ContentSource(), _two_cluster_world())
        training.state.recent[77] = [25]
        ids = source.recommend_one(77, 10)[0]
        assert (ids >= 0).any() and np.all(ids[ids >= 0] > 20)

    def test_seed_matching_finds_the_terms_jieba_finds(self, fitted: Source) -> None:
        assert isinstance(fitted, ContentSource) and fitted.catalog is not None
        similarities = []
        for row, item in enumerate(fitted.items_[:200].tolist()):
            cols, weights = fitted.item_vector(int(item))
            jieba_row = fitted._matrix.getrow(row).toarray().ravel()
            matched = np.zeros_like(jieba_row)
            matched[cols] = weights
            similarities.append(float(jieba_row @ matched))
        assert np.mean(similarities) > 0.95

    def test_forward_maximum_matching(self) -> None:
        terms = {"红烧": 0, "红烧肉": 1, "做法": 2, "肉": 3}
        assert match_terms("红烧肉的家常做法", terms, 3) == [1, 2]
        assert match_terms("红烧的肉", terms, 3) == [0, 3]
        assert match_terms("", terms, 3) == [] and match_terms("无关", terms, 3) == []


class _Rooms:
    """Rooms live now, as commerce would report them."""

    def __init__(self, rooms: list[LiveRoomSignal]) -> None:
        self.rooms = rooms

    def live_signals(self) -> list[LiveRoomSignal]:
        return list(self.rooms)


class TestLive(SourceContract):
    source_type = LiveSource

    @pytest.fixture
    def fitted(self, training: TrainingSet, catalog: Catalog, clock: ManualClock) -> Source:
        items = np.flatnonzero(catalog.valid)[:30]
        rooms = [
            LiveRoomSignal(int(i), viewers=int(i) % 7, gifts_fen=int(i) % 3 * 100) for i in items
        ]
        rooms.append(LiveRoomSignal(catalog.size + 5, viewers=99, gifts_fen=0))  # not in catalog
        source = LiveSource().attach(_Rooms(rooms))
        assert source.fit(training) is source
        return source.bind(catalog=catalog, state=training.state, clock=clock)

    def reattach(self, loaded: Source, fitted: Source) -> Source:
        assert isinstance(loaded, LiveSource) and isinstance(fitted, LiveSource)
        return loaded.attach(fitted.signals)

    def test_viewers_gifts_and_interests_order_the_rooms(self) -> None:
        rooms = _Rooms(
            [
                LiveRoomSignal(5, viewers=1, gifts_fen=0),  # category a
                LiveRoomSignal(25, viewers=5, gifts_fen=0),  # category b
                LiveRoomSignal(26, viewers=5, gifts_fen=3),  # category b, gifted
            ]
        )
        source, _, _ = _fit(LiveSource(), _two_cluster_world())
        assert isinstance(source, LiveSource)
        source.attach(rooms)
        # user 1 plays category a: interest (+2) beats 5 viewers; gifting orders the rest
        assert source.recommend_one(1, 3)[0].tolist() == [5, 26, 25]
        assert source.recommend_one(30, 3)[0].tolist() == [26, 25, 5]
        assert source.recommend_one(30, 2)[0].tolist() == [26, 25]  # the quota cuts
        rooms.rooms = rooms.rooms[1:]  # room 5 ended: gone on the next request
        assert 5 not in source.recommend_one(1, 3)[0].tolist()
        assert LiveSource().recommend_one(1, 2)[0].tolist() == [-1, -1]  # not attached


def test_every_source_has_a_contract_test() -> None:
    from laotie.feed.sources import SOURCE_TYPES

    tested = {cls.source_type for cls in SourceContract.__subclasses__()}
    assert tested == set(SOURCE_TYPES.values())


def test_user_state_progress_keeps_the_furthest_position(catalog: Catalog) -> None:
    state = UserState()
    inside = np.flatnonzero(catalog.next_item >= 0)
    first = int(inside[0])
    second = int(catalog.next_item[first])
    state.observe(catalog, [Observation(1, second, "play", 2), Observation(1, first, "play", 3)])
    next_items, _ = state.next_items(catalog, 1)
    assert int(catalog.next_item[second]) in next_items.tolist() or catalog.next_item[second] < 0
