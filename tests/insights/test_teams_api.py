"""The team watch-time programme through the HTTP API, with every kind of key.

Team t1 (goal 30 min) has members alice (two devices), bob and carol, and manager mia;
team t2 has member dave and manager max. Local day 2026-03-02 in Asia/Shanghai.
"""

from __future__ import annotations

import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.store.repos import catalog

from .conftest import local_ms

DAY = "2026-03-02"
NEXT = "2026-03-03"
MIN = 60_000


def _watch(n: int, user: str, minutes: float, when: str, device: str) -> dict:
    return {
        "id": f"w{n}",
        "type": "watch",
        "user_id": user,
        "item_id": "v1",
        "ts_ms": local_ms(when),
        "watch_ms": int(minutes * MIN),
        "duration_ms": int(minutes * MIN),
        "device_id": device,
    }


@pytest.fixture
def programme(client, services, admin_headers):
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="创作者"))
        catalog.create_item(s, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="t"))
    result = services.events.ingest(
        [
            _watch(1, "alice", 20, f"{DAY} 09:00:00", "phone"),
            _watch(2, "alice", 15, f"{DAY} 21:00:00", "tablet"),
            _watch(3, "alice", 10, f"{NEXT} 00:10:00", "phone"),  # still 03-02 in UTC
            _watch(4, "bob", 10, f"{DAY} 12:00:00", "p"),
            _watch(5, "carol", 50, f"{DAY} 12:00:00", "p"),
            _watch(6, "dave", 70, f"{DAY} 08:00:00", "p"),
        ]
    )
    assert result.accepted == 6
    post = lambda path, body: client.post(path, json=body, headers=admin_headers)  # noqa: E731
    assert post("/v1/teams/orgs", {"id": "o1", "name": "快手产品部"}).status_code == 201
    team = post(
        "/v1/teams", {"id": "t1", "org_id": "o1", "name": "推荐组", "daily_goal_minutes": 30}
    )
    assert team.status_code == 201 and team.json()["daily_goal_minutes"] == 30
    assert (
        post("/v1/teams", {"id": "t2", "org_id": "o1", "name": "商业化"}).json()[
            "daily_goal_minutes"
        ]
        == 60
    )
    for team_id, user, role in [
        ("t1", "alice", "member"),
        ("t1", "bob", "member"),
        ("t1", "carol", "member"),
        ("t1", "mia", "manager"),
        ("t2", "dave", "member"),
        ("t2", "max", "manager"),
    ]:
        body = {"user_id": user, "role": role, "email": f"{user}@example.com", "display_name": user}
        assert post(f"/v1/teams/{team_id}/members", body).status_code == 201
    return services


def _records(client, headers, team, user, day=DAY, to=NEXT):
    return client.get(
        f"/v1/teams/{team}/members/{user}/records",
        params={"from": day, "to": to},
        headers=headers,
    )


def test_member_sees_own_minutes_from_every_device_with_local_day_boundary(
    client, programme, make_headers
) -> None:
    alice = make_headers("app", scope="person:alice")
    response = _records(client, alice, "t1", "alice")
    assert response.status_code == 200
    records = response.json()["records"]
    assert records[0] == {"day": DAY, "minutes": 35.0, "goal_minutes": 30, "goal_met": True}
    assert records[1]["minutes"] == 10.0 and records[1]["goal_met"] is False
    mine = client.get("/v1/teams/me/records", params={"from": DAY, "to": DAY}, headers=alice)
    assert [r["team_id"] for r in mine.json()] == ["t1"]
    assert [t["id"] for t in client.get("/v1/teams", headers=alice).json()] == ["t1"]


def test_member_cannot_see_others_or_digests(client, programme, make_headers) -> None:
    alice = make_headers("app", scope="person:alice")
    # what a person may not see answers like a team that does not exist (no 404-vs-403 leak)
    assert _records(client, alice, "t1", "bob").status_code == 404
    assert _records(client, alice, "t2", "dave").status_code == 404
    members = client.get("/v1/teams/t1/members", headers=alice).json()
    assert [m["user_id"] for m in members] == ["alice"]
    digest = client.get("/v1/teams/t1/digests/mia", params={"day": DAY}, headers=alice)
    assert digest.status_code == 403
    assert client.post("/v1/teams/t1/members/bob/opt-out", headers=alice).status_code == 403
    assert client.post("/v1/teams", json={}, headers=alice).status_code in (403, 422)
    assert (
        client.post("/v1/teams/orgs", json={"id": "o2", "name": "x"}, headers=alice).status_code
        == 403
    )


def test_manager_sees_only_own_teams_and_never_opted_out_members(
    client, programme, make_headers
) -> None:
    mia = make_headers("app", scope="person:mia")
    carol = make_headers("app", scope="person:carol")
    assert _records(client, mia, "t1", "alice").status_code == 200
    assert _records(client, mia, "t1", "carol").status_code == 200
    assert _records(client, mia, "t2", "dave").status_code == 404
    other = client.get("/v1/teams/t2/digests/max", params={"day": DAY}, headers=mia)
    assert other.status_code == 403

    opted = client.post("/v1/teams/t1/members/carol/opt-out", headers=carol)
    assert opted.status_code == 200 and opted.json()["opted_out"] is True
    assert _records(client, mia, "t1", "carol").status_code == 404
    assert _records(client, carol, "t1", "carol").status_code == 200  # still hers
    listed = client.get("/v1/teams/t1/members", headers=mia).json()
    assert "carol" not in [m["user_id"] for m in listed]
    assert all(m["email"] == "" for m in listed if m["user_id"] != "mia")

    digest = client.get("/v1/teams/t1/digests/mia", params={"day": DAY}, headers=mia)
    assert digest.status_code == 200
    body = digest.json()
    assert {r["user_id"]: r["minutes"] for r in body["members"]} == {"alice": 35.0, "bob": 10.0}
    assert body["members_met"] == 1
    assert "carol" not in body["html"] and "alice" in body["html"]

    log = client.get("/v1/teams/t1/members/carol/consent", headers=carol).json()
    assert [(e["action"], e["recorded_by"]) for e in log] == [("opt_out", "person:carol")]
    assert client.get("/v1/teams/t1/members/carol/consent", headers=mia).status_code == 403


def test_admin_sees_everything(client, programme, admin_headers) -> None:
    assert _records(client, admin_headers, "t2", "dave").json()["records"][0]["minutes"] == 70.0
    members = client.get("/v1/teams/t1/members", headers=admin_headers).json()
    assert len(members) == 4 and members[0]["email"] == "alice@example.com"
    assert len(client.get("/v1/teams", headers=admin_headers).json()) == 2
    patched = client.patch("/v1/teams/t1", json={"daily_goal_minutes": 40}, headers=admin_headers)
    assert patched.json()["daily_goal_minutes"] == 40


@pytest.mark.parametrize(
    ("role", "scope"),
    [("creator", "c1"), ("advertiser", "a1"), ("app", None), ("app", "c1")],
)
def test_other_keys_are_refused(client, programme, make_headers, role, scope) -> None:
    headers = make_headers(role, scope=scope)
    for path in ("/v1/teams", "/v1/teams/t1/members"):
        response = client.get(path, headers=headers)
        assert response.status_code == 403
        assert response.json()["type"].endswith("permission-denied")
    assert _records(client, headers, "t1", "alice").status_code == 403


def test_no_key_is_unauthenticated(client, programme) -> None:
    assert client.get("/v1/teams").status_code == 401


def test_bad_input_names_the_field(client, programme, admin_headers) -> None:
    bad = client.post(
        "/v1/teams",
        json={"id": "t9", "org_id": "o1", "name": "x", "daily_goal_minutes": 0},
        headers=admin_headers,
    )
    assert bad.status_code == 422
    assert "daily_goal_minutes" in bad.text
    unknown = _records(client, admin_headers, "t1", "nobody")
    assert unknown.status_code == 404
    backwards = _records(client, admin_headers, "t1", "alice", day=NEXT, to=DAY)
    assert backwards.status_code == 422
