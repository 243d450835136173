import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.errors import InvalidInput
from laotie.store.delivery import Subscription
from laotie.store.repos import catalog, catalog_frames

pytestmark = pytest.mark.both_backends  # the same tests on a real PostgreSQL

T0 = 1_795_900_000_000


@pytest.fixture
def items(services):
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.bulk_create_items(
            s,
            items=[
                ItemCreate(id=f"i{i}", kind="video", creator_id="c1", title="t") for i in range(5)
            ],
        )


def watch(n, **extra):
    base = {
        "id": f"e{n}",
        "type": "watch",
        "user_id": f"u{n % 3}",
        "item_id": f"i{n % 5}",
        "ts_ms": T0 + n,
        "watch_ms": 1000,
        "duration_ms": 2000,
    }
    return base | extra


def test_batch_is_stored_and_users_created_on_first_sight(services, items):
    result = services.events.ingest([watch(n) for n in range(10)])
    assert (result.accepted, result.duplicate, result.rejected) == (10, 0, 0)
    assert services.events.count() == 10
    with services.db.session() as s:
        assert catalog_frames.users_frame(s).height == 3


def test_duplicates_are_counted_never_stored_twice(services, items):
    services.events.ingest([watch(n) for n in range(5)])
    result = services.events.ingest([watch(n) for n in range(3, 8)] + [watch(7)])
    assert (result.accepted, result.duplicate) == (3, 3)
    assert services.events.count() == 8


def test_each_bad_event_gets_its_own_error_and_the_rest_are_kept(services, items):
    batch = [
        watch(1),
        {"id": "x1", "type": "teleport", "user_id": "u", "item_id": "i1", "ts_ms": T0},
        watch(2, watch_ms=25 * 3600 * 1000),
        watch(3, duration_ms=0),
        watch(4, item_id="missing"),
        {"id": "x5", "type": "watch", "user_id": "u", "item_id": "i1", "ts_ms": T0},
        {"id": "x6", "type": "purchase", "user_id": "u", "ts_ms": T0, "amount_fen": -1},
        {"id": "x7", "type": "like", "user_id": "u", "ts_ms": T0},
        "not an object",
        watch(9),
    ]
    result = services.events.ingest(batch)
    assert result.accepted == 2
    by_index = {e.index: e for e in result.errors}
    assert by_index[1].field == "type" and "teleport" in by_index[1].message
    assert by_index[2].field == "watch_ms"
    assert by_index[3].field == "duration_ms"
    assert by_index[4].field == "item_id" and "missing" in by_index[4].message
    assert by_index[5].field in ("watch_ms", "duration_ms")
    assert by_index[6].field == "amount_fen"
    assert by_index[7].field == "item_id"
    assert 8 in by_index
    assert result.rejected == 8


def test_oversize_batch_is_refused_whole(services, items):
    with pytest.raises(InvalidInput) as info:
        services.events.ingest([watch(n) for n in range(services.events.max_batch + 1)])
    assert info.value.limit == services.events.max_batch
    assert services.events.count() == 0


def test_subscribers_see_accepted_events_after_commit(services, items):
    seen = []

    def hook(events):
        assert services.events.count() >= len(events)
        seen.extend(events)

    services.events.subscribe(Subscription("hook", hook))
    services.events.ingest([watch(1), watch(1), watch(2, item_id="missing")])
    assert [e.client_event_id for e in seen] == ["e1"]
    assert seen[0].item_external_id == "i1" and isinstance(seen[0].item_id, int)


def test_failing_subscriber_does_not_lose_events(services, items):
    def broken(events):
        raise RuntimeError("boom")

    services.events.subscribe(Subscription("broken", broken))
    assert services.events.ingest([watch(1)]).accepted == 1
    assert services.events.count() == 1


def test_json_fast_path_matches_ingest_and_declines_what_it_cannot_judge(services, items):
    import json

    body = json.dumps([watch(n) for n in range(4)] + [watch(9, item_id="missing")]).encode()
    result = services.events.ingest_json(body)
    assert (result.accepted, result.rejected) == (4, 1)
    assert result.errors[0].index == 4 and result.errors[0].field == "item_id"
    assert services.events.ingest_json(body).duplicate == 4
    assert services.events.ingest_json(b'{"events": []}').accepted == 0  # the wrapped shape
    assert services.events.ingest_json(b'{"events": {}}') is None
    assert services.events.ingest_json(b"[{broken") is None
    assert services.events.ingest_json(json.dumps([watch(1, watch_ms=-1)]).encode()) is None
