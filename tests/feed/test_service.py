"""FeedService in process: bad input, cold start, fallback, cursors, impressions, explain, swaps."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from laotie.core.clock import ManualClock
from laotie.core.contracts import AdPlacement, AdRequest, TrustDecision
from laotie.core.errors import ArtefactError, InvalidInput
from laotie.feed import FeedConfig, FeedData, FeedService, MemoryFeedStore
from laotie.feed.bundle import Bundle, current_version, load_bundle, save_bundle, set_current
from laotie.feed.service import NO_MODEL_WARNING
from laotie.feed.state import Observation


def _service(
    world: FeedData, models_dir: Path, clock: ManualClock, **options: object
) -> FeedService:
    return FeedService(
        MemoryFeedStore(world), config=FeedConfig(), models_dir=models_dir, clock=clock, **options
    )  # type: ignore[arg-type]


@pytest.fixture
def served(world: FeedData, trained: Bundle, models_dir: Path, clock: ManualClock) -> FeedService:
    save_bundle(trained, models_dir)
    return _service(world, models_dir, clock)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"n": 0}, "n"),
        ({"n": 101}, "n"),
        ({"kinds": ["film"]}, "kind"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": "eJyrVipTsjLUUSpWslIqSi2MNzD0tfC2"}, "cursor"),
    ],
)
def test_bad_input_names_the_parameter(served: FeedService, options: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        served.feed("1", **options)
    assert error.value.field == field


def test_unknown_user_gets_a_cold_start_page(served: FeedService) -> None:
    page = served.feed("nobody-like-this", n=10)
    assert len(page.entries) == 10 and page.model_version == "vtest" and not page.warnings


def test_no_model_serves_popular_fresh_with_a_warning(
    world: FeedData, models_dir: Path, clock: ManualClock
) -> None:
    page = _service(world, models_dir, clock).feed("1", n=10)
    assert page.warnings == [NO_MODEL_WARNING] and page.ranked_by == "sources"
    assert len(page.entries) == 10 and page.model_version is None


def test_next_page_excludes_the_first_and_seen_items_stay_out(served: FeedService) -> None:
    first = served.feed("3", n=20)
    second = served.feed("3", n=20, cursor=first.next_cursor)
    ids1, ids2 = {e.id for e in first.entries}, {e.id for e in second.entries}
    assert len(ids2) == 20 and not ids1 & ids2
    third = served.feed("3", n=20, explain=True)  # a new session: shown items count as seen,
    again = [e for e in third.entries if e.id in ids1 | ids2]  # except the next episode/chapter
    assert all("continue" in e.explain.sources for e in again)


def test_impressions_are_logged_server_side(served: FeedService) -> None:
    page = served.feed("4", n=8)
    assert served.flush() == 8
    logged = served.store.logged  # type: ignore[attr-defined]
    assert {e["item_id"] for e in logged} == {e.id for e in page.entries}
    assert all(e["type"] == "impression" and e["request_id"] == page.request_id for e in logged)


def test_explain_shows_sources_predictions_fused_and_adjustments(served: FeedService) -> None:
    page = served.feed("5", n=10, explain=True)
    for entry in page.entries:
        e = entry.explain
        assert e is not None and e.sources and e.fused > 0
        assert set(e.predictions) == {
            "play",
            "long_view",
            "like",
            "follow",
            "hate",
            "watch_quantile",
        }
        assert all(0 <= v <= 1 for v in e.predictions.values())
    assert any(entry.explain.adjustments for entry in page.entries)
    assert served.feed("5", n=3).entries[0].explain is None


def test_same_requests_give_the_same_pages(
    world: FeedData, trained: Bundle, models_dir: Path
) -> None:
    save_bundle(trained, models_dir)
    pages = [
        [e.id for e in _service(world, models_dir, ManualClock(world.now_ms)).feed("6").entries]
        for _ in range(2)
    ]
    assert pages[0] == pages[1]


def test_kind_filter(served: FeedService) -> None:
    page = served.feed("7", n=10, kinds=["episode", "chapter"])
    assert page.entries and {e.kind for e in page.entries} <= {"episode", "chapter"}


def test_real_time_event_changes_the_next_request(served: FeedService, world: FeedData) -> None:
    before = [e.id for e in served.feed("8", n=10).entries]

    class Stored:
        def __init__(self, item: int) -> None:
            self.user_id, self.user_external_id, self.item_id = 8, "8", item
            self.type, self.ts_ms, self.watch_ms, self.duration_ms, self.value = (
                "like",
                world.now_ms,
                0,
                0,
                0,
            )

    served.on_events([Stored(i) for i in range(500, 510)])
    after = [e.id for e in served.feed("8", n=10).entries]
    assert before != after


class Gate:
    def __init__(self, blocked: set[int]) -> None:
        self.blocked = blocked

    def decisions(self, item_ids: list[int]) -> dict[int, TrustDecision]:
        return {i: TrustDecision.BLOCK for i in item_ids if i in self.blocked}


def test_trust_gate_blocked_items_never_shown(
    world: FeedData, trained: Bundle, models_dir: Path, clock: ManualClock
) -> None:
    save_bundle(trained, models_dir)
    internal = dict(zip(world.items["external_id"], world.items["id"], strict=True))
    open_page = _service(world, models_dir, clock).feed("9", n=20)
    blocked = {internal[e.id] for e in open_page.entries}
    gated = _service(world, models_dir, clock, gate=Gate(blocked)).feed("9", n=20)
    assert not {internal[e.id] for e in gated.entries} & blocked and len(gated.entries) == 20


class Ads:
    def __init__(self) -> None:
        self.requests: list[AdRequest] = []

    def fill(self, request: AdRequest) -> list[AdPlacement]:
        self.requests.append(request)
        return [
            AdPlacement(
                position=request.slot_positions[0],
                impression_id="adimp1",
                campaign_id="c1",
                creative_id="cr1",
                title="买一送一",
                landing_url="https://example.com",
                price_fen=120,
            )
        ]


def test_reserved_ad_slots_are_filled(
    world: FeedData, trained: Bundle, models_dir: Path, clock: ManualClock
) -> None:
    save_bundle(trained, models_dir)
    ads = Ads()
    page = _service(world, models_dir, clock, ad_filler=ads).feed("10", n=20)
    assert ads.requests[0].slot_positions == [4, 11]
    assert page.entries[4].type == "ad" and len(page.entries) == 20
    assert [e.position for e in page.entries] == list(range(20))


def test_atomic_swap_under_load(served: FeedService, trained: Bundle, models_dir: Path) -> None:
    errors: list[BaseException] = []
    versions: set[str | None] = set()
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            try:
                page = served.feed(str(np.random.randint(1, 150)), n=10)
                assert len(page.entries) == 10
                versions.add(page.model_version)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for k in range(3):
        copy = load_bundle(models_dir / "vtest")
        copy.version = f"vswap{k}"
        save_bundle(copy, models_dir)
        assert served.served.reload()
    stop.set()
    for thread in threads:
        thread.join()
    assert not errors and served.served.version == "vswap2"
    assert {"vswap2"} <= versions | {served.served.version}


def test_corrupt_artefact_is_refused_and_last_good_kept(
    served: FeedService, models_dir: Path
) -> None:
    assert served.served.version == "vtest"
    bad = models_dir / "vbad"
    shutil.copytree(models_dir / "vtest", bad)
    ranker = bad / "ranker.npz"
    ranker.write_bytes(ranker.read_bytes()[:-100] + b"x" * 100)
    with pytest.raises(ArtefactError):
        load_bundle(bad)
    set_current(models_dir, "vbad")
    assert not served.served.reload()
    assert served.served.version == "vtest" and len(served.feed("2", n=5).entries) == 5
    assert current_version(models_dir) == "vbad"


def test_train_versions_and_swaps(world: FeedData, models_dir: Path, clock: ManualClock) -> None:
    service = _service(world, models_dir, clock)
    assert service.served.version is None
    report = service.train()
    version = service.served.version
    assert version is not None and current_version(models_dir) == version
    manifest = load_bundle(models_dir / version).manifest
    assert (
        manifest["window"]["end_ms"] == world.now_ms
        and manifest["window"]["start_ms"] < world.now_ms
    )
    assert manifest["metrics"]["play_auc"] > 0.6 and report.counts["events"] > 0
    assert service.feed("1").ranked_by.startswith("model")


def test_observation_weights_match_positive_rule() -> None:
    assert Observation(1, 1, "watch", 0, watch_ms=9000, duration_ms=10_000).weight() >= 1.0
    assert Observation(1, 1, "watch", 0, watch_ms=500, duration_ms=10_000).weight() < 1.0
    assert Observation(1, 1, "hate", 0).weight() < 0
