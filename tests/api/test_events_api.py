import json

import pytest

pytestmark = pytest.mark.both_backends  # the same tests on a real PostgreSQL

T0 = 1_795_900_000_000


def _seed(client, admin_headers):
    client.post("/v1/creators", json={"id": "c1", "name": "c"}, headers=admin_headers)
    client.post(
        "/v1/items",
        json={"id": "i1", "kind": "video", "creator_id": "c1", "title": "t"},
        headers=admin_headers,
    )


def _event(n, **extra):
    return {
        "id": f"e{n}",
        "type": "play",
        "user_id": "u1",
        "item_id": "i1",
        "ts_ms": T0 + n,
    } | extra


def test_batch_counts_and_per_event_errors(client, admin_headers, app_headers, services):
    _seed(client, admin_headers)
    body = [_event(1), _event(2), _event(2), _event(3, item_id="zz"), _event(4, type="nope")]
    result = client.post("/v1/events", json=body, headers=app_headers).json()
    assert (result["accepted"], result["duplicate"], result["rejected"]) == (2, 1, 2)
    assert {e["index"]: e["field"] for e in result["errors"]} == {3: "item_id", 4: "type"}
    replay = client.post("/v1/events", json={"events": body[:2]}, headers=app_headers).json()
    assert (replay["accepted"], replay["duplicate"]) == (0, 2)
    # and trust's decision on the seeded item: the catalog door had it screened
    assert services.events.count() == 2 + 1


def test_malformed_and_oversize_batches(client, admin_headers, app_headers, services):
    _seed(client, admin_headers)
    bad = client.post(
        "/v1/events",
        content=b"[{not json",
        headers=app_headers | {"content-type": "application/json"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "body"
    wrong_shape = client.post("/v1/events", json={"event": []}, headers=app_headers)
    assert wrong_shape.status_code == 422
    too_many = [_event(n) for n in range(services.settings.max_batch_events + 1)]
    refused = client.post("/v1/events", json=too_many, headers=app_headers)
    assert (
        refused.status_code == 422 and refused.json()["limit"] == services.settings.max_batch_events
    )
    huge = json.dumps([_event(1, extra={"pad": "x" * (9 * 1024 * 1024)})]).encode()
    assert client.post("/v1/events", content=huge, headers=app_headers).json()["field"] == "body"
    assert services.events.count() == 1  # trust's decision on the seeded item


def test_only_app_and_admin_keys_ingest(client, admin_headers, make_headers):
    _seed(client, admin_headers)
    creator = make_headers("creator", "c1")
    assert client.post("/v1/events", json=[_event(1)], headers=creator).status_code == 403
