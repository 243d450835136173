"""One regression test per finding of the hostile-client review (issue 17), through the API.

Each test is named after its finding; the setup is what the attacker had: keys of every role
against a server on a fresh home (a real SQLite file, real workers).
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time

import pytest
from fastapi.testclient import TestClient
from limits import parse_many

from laotie.api import create_app
from laotie.core.clock import MS_PER_DAY, day_label
from laotie.core.contracts import AdRequest
from laotie.core.errors import Conflict
from laotie.store.live import MemoryLiveState
from laotie.store.repos import catalog

NOVEL = "第一回 山前遇怪\n" + "悟空道：师父快走，前面有妖怪！" * 40


def _creators(client, admin, *ids):
    for creator in ids:
        client.post("/v1/creators", json={"id": creator, "name": creator}, headers=admin)


def _ads(client, admin, *, budget_fen=20_000, bid_fen=40):
    """Two advertisers, a1 with a topped-up CPC campaign c1."""
    for advertiser in ("a1", "a2"):
        client.post("/v1/ads/advertisers", json={"id": advertiser, "name": "店"}, headers=admin)
    client.post(
        "/v1/ads/advertisers/a1/topups",
        json={"amount_fen": 100_000, "idempotency_key": "inv-1"},
        headers=admin,
    )
    campaign = {
        "id": "c1",
        "advertiser_id": "a1",
        "name": "夏季",
        "objective": "clicks",
        "bid_fen": bid_fen,
        "daily_budget_fen": budget_fen,
    }
    assert client.post("/v1/ads/campaigns", json=campaign, headers=admin).status_code == 201
    creative = {"id": "cr1", "title": "买", "landing_url": "https://shop.example/p"}
    created = client.post("/v1/ads/campaigns/c1/creatives", json=[creative], headers=admin)
    assert created.status_code == 201, created.text


def test_01_studio_jobs_never_read_server_paths_or_publish_as_another_creator(
    client, services, admin_headers, make_headers
):
    _creators(client, admin_headers, "c1", "c2")
    creator = make_headers("creator", "c1")
    evil = [
        ({"kind": "narrate", "params": {"script_path": "/etc/passwd"}}, 422, "script_path"),
        ({"kind": "presenter", "params": {"text": "你好", "avatar": "/etc/passwd"}}, 422, "avatar"),
        ({"kind": "narrate", "params": {"text": "你好", "creator_id": "c2"}}, 403, "creator_id"),
        ({"kind": "narrate", "params": {"text": "你好", "music": "/etc/passwd"}}, 422, "music"),
    ]
    for body, status, field in evil:
        answer = client.post("/v1/studio/jobs", json=body, headers=creator)
        assert (answer.status_code, answer.json()["field"]) == (status, field), answer.text
    assert services.studio_jobs.list() == []  # refused before anything was queued


def test_02_narrate_reads_no_file_of_the_home(client, services, admin_headers, make_headers):
    _creators(client, admin_headers, "c1")
    config = services.settings.home / "laotie.toml"
    config.write_text('llm_api_key = "sk-secret"\n', encoding="utf-8")
    for headers in (make_headers("creator", "c1"), admin_headers):
        answer = client.post(
            "/v1/studio/narrate", json={"script_path": str(config)}, headers=headers
        )
        assert answer.status_code == 422 and answer.json()["field"] == "script_path"
        assert "studio file id" in answer.json()["detail"]
    assert services.studio_jobs.list() == []


def test_03_a_creator_cannot_add_creatives_to_an_advertisers_campaign(
    client, services, admin_headers, make_headers
):
    _ads(client, admin_headers)
    creator = make_headers("creator", "c1")
    params = {
        "brief": {"name": "苹果", "selling_points": ["甜"]},
        "campaign_id": "c1",
        "landing_url": "https://evil.example",
    }
    for route, body in (
        ("/v1/studio/jobs", {"kind": "ad", "params": params}),
        ("/v1/studio/ad", params),
    ):
        answer = client.post(route, json=body, headers=creator)
        assert answer.status_code == 403 and answer.json()["field"] == "campaign_id"
    # another advertiser's campaign: refused before rendering, not after
    other = make_headers("advertiser", "a2")
    answer = client.post("/v1/studio/ad", json=params, headers=other)
    assert answer.status_code == 403 and answer.json()["field"] == "scope"
    assert services.studio_jobs.list() == []


def test_04_back_dated_clicks_are_charged_to_the_served_day_within_budget(
    client, services, admin_headers, app_headers
):
    _ads(client, admin_headers, budget_fen=500, bid_fen=50)
    now = services.clock.now_ms()
    served = []
    for u in range(60):
        client.post("/v1/users", json={"id": f"u{u}"}, headers=admin_headers)
        with services.db.session() as session:
            pk = catalog.get_user(session, external_id=f"u{u}").id
        request = AdRequest(
            user_id=pk,
            user_external_id=f"u{u}",
            request_id=f"r{u}",
            slot_positions=[2],
            now_ms=now,
        )
        served += [(u, p) for p in services.ads.serving.fill(request)]
    assert len(served) >= 20
    back_dated = [
        {
            "id": f"bd-{p.impression_id}",
            "type": "ad_click",
            "user_id": f"u{u}",
            "ts_ms": now - (k + 1) * MS_PER_DAY,
            "ref": p.impression_id,
        }
        for k, (u, p) in enumerate(served)
    ]
    assert client.post("/v1/events", json=back_dated, headers=app_headers).status_code == 200
    advertiser = client.get("/v1/ads/advertisers/a1", headers=admin_headers).json()
    assert advertiser["balance_fen"] == 100_000  # outside the attribution window: no money
    honest = [dict(e, id=f"ok-{e['ref']}", ts_ms=now) for e in back_dated]
    client.post("/v1/events", json=honest, headers=app_headers)
    rows = client.get("/v1/ads/reports?group_by=day", headers=admin_headers).json()
    assert [r["day"] for r in rows] == [day_label(now, services.settings.timezone)]
    assert 0 < rows[0]["spend_fen"] <= 505  # the daily budget plus its 1% tolerance


def test_05_compactions_are_exclusive(client, services, admin_headers, app_headers):
    _creators(client, admin_headers, "c1")
    client.post(
        "/v1/items",
        json={"id": "i1", "kind": "video", "creator_id": "c1", "title": "t"},
        headers=admin_headers,
    )
    old = services.clock.now_ms() - 3 * MS_PER_DAY
    events = [
        {"id": f"e{n}", "type": "play", "user_id": "u1", "item_id": "i1", "ts_ms": old + n}
        for n in range(200)
    ]
    client.post("/v1/events", json=events, headers=app_headers)
    with services.lake._lease(), pytest.raises(Conflict):
        services.lake.compact(services.clock.now_ms())
    outcomes: list[object] = []
    barrier = threading.Barrier(2)

    def compact() -> None:
        barrier.wait()
        try:
            outcomes.append(services.lake.compact(services.clock.now_ms()).rows)
        except Conflict as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=compact) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(o for o in outcomes if isinstance(o, int)) == 200
    lake = services.lake.read(types=["play"])  # not trust's decision on the seeded item
    assert lake.height == 200 and lake["client_event_id"].n_unique() == 200
    assert services.lake.compact(services.clock.now_ms()).rows == 0  # lease released


def test_06_person_keys_send_and_read_only_their_own_user(client, admin_headers, make_headers):
    _creators(client, admin_headers, "c1")
    client.post(
        "/v1/items",
        json={"id": "i1", "kind": "video", "creator_id": "c1", "title": "t"},
        headers=admin_headers,
    )
    person = make_headers("app", "person:alice")
    ts = int(time.time() * 1000)
    events = [
        {"id": "w1", "type": "watch", "user_id": "alice", "item_id": "i1", "ts_ms": ts,
         "watch_ms": 1000, "duration_ms": 2000},
        {"id": "w2", "type": "watch", "user_id": "bob", "item_id": "i1", "ts_ms": ts,
         "watch_ms": 86_400_000, "duration_ms": 2000},
        {"id": "p1", "type": "purchase", "user_id": "bob", "item_id": "i1", "ts_ms": ts,
         "amount_fen": 100_000_000},
    ]  # fmt: skip
    result = client.post("/v1/events", json=events, headers=person).json()
    assert (result["accepted"], result["rejected"]) == (1, 2)
    assert {e["field"] for e in result["errors"]} == {"user_id"}
    assert client.get("/v1/feed/alice", headers=person).status_code == 200
    other = client.get("/v1/feed/bob", headers=person)
    assert other.status_code == 403 and other.json()["field"] == "user_id"
    # an app key is a trusted server key: it sends for any user
    trusted = make_headers("app")
    assert client.post("/v1/events", json=events[1:2], headers=trusted).json()["accepted"] == 1


def test_07_bodies_are_refused_before_they_cost_memory(
    client, services, admin_headers, app_headers, make_headers
):
    huge = b"[" + b"0," * (10 * 1024 * 1024) + b"0]"
    unauthenticated = client.post("/v1/events", content=huge)
    assert unauthenticated.status_code == 401
    too_big = client.post("/v1/events", content=huge, headers=app_headers)
    assert (
        too_big.status_code == 413 and too_big.json()["limit"] == services.settings.max_batch_bytes
    )

    def chunks():
        for _ in range(20):
            yield b" " * (1024 * 1024)

    streamed = client.post("/v1/events", content=chunks(), headers=app_headers)
    assert streamed.status_code == 413  # no Content-Length: counted as it streams
    objects = b"[" + b",".join([b"{}"] * 1_000_000) + b"]"
    started = time.perf_counter()
    refused = client.post("/v1/events", content=objects, headers=app_headers)
    assert refused.status_code == 422 and refused.json()["field"] == "events"
    assert time.perf_counter() - started < 3.0
    creator = make_headers("creator", "c1")
    for n in range(3):
        body = {"kind": "adapt", "params": {"novel_text": NOVEL * 200 + str(n), "episodes": 3}}
        assert client.post("/v1/studio/jobs", json=body, headers=creator).status_code == 202
    listed = client.get("/v1/studio/jobs", headers=creator)
    assert len(listed.json()) == 3 and len(listed.content) < 10_000
    assert all("novel_text" not in job["params"] for job in listed.json())


def test_08_episodes_go_only_into_their_own_creators_series(client, admin_headers, make_headers):
    _creators(client, admin_headers, "c1", "c2")
    owner, intruder = make_headers("creator", "c1"), make_headers("creator", "c2")
    series = {"id": "s1", "creator_id": "c1", "title": "剧"}
    assert client.post("/v1/series", json=series, headers=owner).status_code == 201
    episode = {"id": "e1", "kind": "episode", "creator_id": "c2", "parent_id": "s1", "title": "1"}
    answer = client.post("/v1/items", json=episode, headers=intruder)
    assert answer.status_code == 403 and answer.json()["field"] == "parent_id"
    assert client.get("/v1/items?parent_id=s1", headers=owner).json()["items"] == []


def test_09_creator_items_are_screened_and_aigc_is_never_downgraded(
    client, services, admin_headers, make_headers
):
    _creators(client, admin_headers, "c1")
    creator = make_headers("creator", "c1")
    item = {
        "id": "i1",
        "kind": "video",
        "creator_id": "c1",
        "title": "AI",
        "aigc_status": "declared",
    }
    assert client.post("/v1/items", json=item, headers=creator).status_code == 201
    assert client.get("/v1/trust/items/i1", headers=admin_headers).status_code == 200  # screened
    forged = dict(item, id="i2", aigc_status="confirmed")
    assert client.post("/v1/items", json=forged, headers=creator).status_code == 403
    for change in ({"aigc_status": "none"}, {"aigc_label": {}}):
        answer = client.patch("/v1/items/i1", json=change, headers=creator)
        assert answer.status_code == 403, answer.text
    assert client.get("/v1/items/i1", headers=creator).json()["aigc_status"] == "declared"
    lowered = client.patch("/v1/items/i1", json={"aigc_status": "none"}, headers=admin_headers)
    assert lowered.status_code == 200  # an admin (or trust) may


def test_10_nulls_odd_years_and_huge_integers_are_422s(
    client, services, admin_headers, make_headers
):
    _creators(client, admin_headers, "c1")
    client.post(
        "/v1/items",
        json={"id": "i1", "kind": "video", "creator_id": "c1", "title": "t"},
        headers=admin_headers,
    )
    person = make_headers("app", "person:alice")
    requests = [
        ("PATCH", "/v1/items/i1", {"json": {"title": None}}, admin_headers, "title"),
        ("PATCH", "/v1/creators/c1", {"json": {"name": None}}, admin_headers, "name"),
        ("POST", "/v1/items", {"json": {"id": "i9", "kind": "video", "creator_id": "c1",
                                        "title": "t", "created_at_ms": 2**63}},
         admin_headers, "created_at_ms"),
        ("GET", "/v1/items?cursor=aWQ6OTIyMzM3MjAzNjg1NDc3NTgwOA", {}, admin_headers, "cursor"),
        ("POST", f"/v1/ads/settle?since_ms={2**63}", {}, admin_headers, "since_ms"),
        ("GET", "/v1/insights/kpis?from=0001-01-01", {}, admin_headers, "from"),
        ("GET", "/v1/teams/t1/members/alice/records?from=9999-01-01&to=9999-12-31", {},
         person, "from"),
        ("GET", "/v1/teams/t1/digests/mia?day=0001-01-01", {}, person, "day"),
    ]  # fmt: skip
    for method, url, body, headers, field in requests:
        answer = client.request(method, url, headers=headers, **body)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["field"] == field, (url, answer.json())


def test_11_jobs_belong_to_their_submitter_whatever_the_route(
    client, services, admin_headers, make_headers
):
    _creators(client, admin_headers, "c1")
    _ads(client, admin_headers)
    creator, advertiser = make_headers("creator", "c1"), make_headers("advertiser", "a1")
    narrated = client.post("/v1/studio/narrate", json={"text": "你好。"}, headers=creator)
    ad = client.post(
        "/v1/studio/ad",
        json={"brief": {"name": "苹果", "selling_points": ["甜"]}, "variants": 1},
        headers=advertiser,
    )
    for answer, headers in ((narrated, creator), (ad, advertiser)):
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        assert client.get(f"/v1/studio/jobs/{job_id}", headers=headers).status_code == 200
        assert [j["id"] for j in client.get("/v1/studio/jobs", headers=headers).json()] == [job_id]
        client.post(f"/v1/studio/jobs/{job_id}/cancel", headers=headers)
    other = client.get(f"/v1/studio/jobs/{narrated.json()['id']}", headers=advertiser)
    assert other.status_code == 404


def test_12_a_compacted_event_id_stays_a_duplicate(client, services, admin_headers, app_headers):
    _creators(client, admin_headers, "c1")
    client.post(
        "/v1/items",
        json={"id": "i1", "kind": "video", "creator_id": "c1", "title": "t"},
        headers=admin_headers,
    )
    now = services.clock.now_ms()
    event = {
        "id": "e1",
        "type": "play",
        "user_id": "u1",
        "item_id": "i1",
        "ts_ms": now - 3 * MS_PER_DAY,
    }
    client.post("/v1/events", json=[event], headers=app_headers)
    assert services.lake.compact(now).rows == 1
    again = client.post("/v1/events", json=[dict(event, ts_ms=now)], headers=app_headers).json()
    assert (again["accepted"], again["duplicate"]) == (0, 1)
    assert services.events.count() == 1  # only trust's decision on the item, made today


def test_13_idempotency_keys_are_per_tenant(client, make_headers):
    first, second = make_headers("creator", "c1"), make_headers("creator", "c2")
    body = {"kind": "adapt", "params": {"novel_text": "太短了。", "episodes": 3}}
    key = {"Idempotency-Key": "same"}
    one = client.post("/v1/studio/jobs", json=body, headers=first | key).json()
    two = client.post("/v1/studio/jobs", json=body, headers=second | key).json()
    assert one["id"] != two["id"]
    assert client.post("/v1/studio/jobs", json=body, headers=first | key).json()["id"] == one["id"]
    assert client.get(f"/v1/studio/jobs/{one['id']}", headers=second).status_code == 404


def test_14_a_foreign_team_looks_like_a_missing_one(client, admin_headers, make_headers):
    client.post("/v1/teams/orgs", json={"id": "o1", "name": "org"}, headers=admin_headers)
    client.post("/v1/teams", json={"id": "t1", "org_id": "o1", "name": "t"}, headers=admin_headers)
    client.post("/v1/teams/t1/members", json={"user_id": "bob"}, headers=admin_headers)
    alice = make_headers("app", "person:alice")
    days = "from=2026-01-01&to=2026-01-02"
    answers = [
        client.get("/v1/teams/t1/members", headers=alice),
        client.get("/v1/teams/t9/members", headers=alice),
        client.get(f"/v1/teams/t1/members/bob/records?{days}", headers=alice),
        client.get(f"/v1/teams/t9/members/bob/records?{days}", headers=alice),
        client.get(f"/v1/teams/t1/members/zed/records?{days}", headers=alice),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.json()["detail"].replace("t9", "t1") for a in answers}) == 1


def test_15_validation_gaps_are_closed(client, services, admin_headers, make_headers):
    _ads(client, admin_headers)
    requests = [
        ("GET", "/v1/ads/reports?start_day=2026-02-30", {}, "start_day"),
        ("POST", "/v1/ads/campaigns", {"json": {"id": "c2", "advertiser_id": "a1", "name": "x",
         "objective": "clicks", "bid_fen": 40, "daily_budget_fen": 500,
         "schedule": {"start_ms": 2**70}}}, "schedule.start_ms"),
        ("POST", "/v1/ads/advertisers/a1/topups",
         {"json": {"amount_fen": "100", "idempotency_key": "k"}}, "amount_fen"),
        ("POST", "/v1/studio/jobs", {"json": {"kind": "adapt", "params": {
         "novel_text": NOVEL, "episodes": True}}}, "episodes"),
        ("POST", "/v1/studio/narrate", {"json": {"text": "你好", "size": "99999x99999"}}, "size"),
        ("GET", "/v1/insights/kpis?to=0", {}, "to"),
    ]  # fmt: skip
    for method, url, body, field in requests:
        answer = client.request(method, url, headers=admin_headers, **body)
        assert answer.status_code == 422, (url, answer.text)
        assert answer.json()["field"] == field, (url, answer.json())


def test_16_failed_auth_locks_out_an_address_and_keys_are_rate_limited(services, admin_headers):
    app = create_app(services)
    app.state.guard.per_key = list(parse_many("5/minute"))
    with TestClient(app) as client:
        statuses = [
            client.get("/v1/items", headers={"Authorization": "Bearer lt_x.wrong"}).status_code
            for _ in range(25)
        ]
        assert statuses[:20] == [401] * 20 and statuses[20:] == [429] * 5
        locked = client.get("/v1/items", headers=admin_headers)
        assert locked.status_code == 429 and locked.json()["field"] == "authorization"
    services.live = MemoryLiveState()  # a process started afresh, alone: nothing counted yet
    fresh = create_app(services)
    fresh.state.guard.per_key = list(parse_many("5/minute"))
    with TestClient(fresh) as client:
        answers = [client.get("/v1/items", headers=admin_headers).status_code for _ in range(7)]
    assert answers == [200] * 5 + [429] * 2


def test_17_the_database_and_home_are_private(services):
    home = services.settings.home
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    database = home / "laotie.db"
    assert stat.S_IMODE(os.stat(database).st_mode) == 0o600
    studio_file = services.settings.home / "studio" / "files"
    if studio_file.exists():
        assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in studio_file.iterdir())


def test_uploaded_studio_files_are_the_only_inputs_and_stay_with_their_owner(
    client, services, admin_headers, make_headers
):
    _creators(client, admin_headers, "c1", "c2")
    owner, other = make_headers("creator", "c1"), make_headers("creator", "c2")
    script = "第一幕。老铁们好。".encode()
    uploaded = client.post("/v1/studio/files?name=script.txt", content=script, headers=owner)
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    assert uploaded.json()["size_bytes"] == len(script)
    stolen = client.post("/v1/studio/narrate", json={"script_path": file_id}, headers=other)
    assert stolen.status_code == 404 and stolen.json()["field"] == "script_path"
    mine = client.post(
        "/v1/studio/narrate", json={"script_path": file_id, "publish": False}, headers=owner
    )
    assert mine.status_code == 202, mine.text
    client.post(f"/v1/studio/jobs/{mine.json()['id']}/cancel", headers=owner)
    original = services.settings
    services.settings = original.model_copy(update={"studio_max_file_mb": 1})
    try:
        big = client.post("/v1/studio/files", content=b"x" * (2 * 1024 * 1024), headers=owner)
    finally:
        services.settings = original
    assert big.status_code == 422 and big.json()["limit"] == 1024 * 1024
    assert len(list((original.home / "studio" / "files").iterdir())) == 2  # no partial file
    assert json.loads(uploaded.text)["sha256"]
    test_17_the_database_and_home_are_private(services)
