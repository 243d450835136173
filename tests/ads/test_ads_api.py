"""The ads HTTP API: roles and scopes, clear 4xx problems, reports that match the ledger."""

from __future__ import annotations

from laotie.core.contracts import AdRequest
from laotie.store.repos import catalog


def _setup(client, admin):
    assert (
        client.post(
            "/v1/ads/advertisers", json={"id": "a1", "name": "店一"}, headers=admin
        ).status_code
        == 201
    )
    assert (
        client.post(
            "/v1/ads/advertisers", json={"id": "a2", "name": "店二"}, headers=admin
        ).status_code
        == 201
    )
    r = client.post(
        "/v1/ads/advertisers/a1/topups",
        json={"amount_fen": 50_000, "idempotency_key": "inv-1"},
        headers=admin,
    )
    assert r.status_code == 200 and r.json()["balance_fen"] == 50_000


def _campaign(cid="c1", advertiser="a1", **kw):
    return {
        "id": cid,
        "advertiser_id": advertiser,
        "name": "夏季",
        "objective": "clicks",
        "bid_fen": 40,
        "daily_budget_fen": 20_000,
        **kw,
    }


def test_advertiser_key_is_scoped_to_its_account(client, admin_headers, make_headers):
    _setup(client, admin_headers)
    mine = make_headers("advertiser", "a1")
    theirs = make_headers("advertiser", "a2")
    assert client.post("/v1/ads/campaigns", json=_campaign(), headers=mine).status_code == 201
    denied = client.post("/v1/ads/campaigns", json=_campaign("c2"), headers=theirs)
    assert denied.status_code == 403 and denied.json()["field"] == "scope"
    for path in (
        "/v1/ads/campaigns/c1",
        "/v1/ads/campaigns/c1/creatives",
        "/v1/ads/advertisers/a1",
        "/v1/ads/reports?campaign_id=c1",
    ):
        assert client.get(path, headers=theirs).status_code == 403, path
    assert (
        client.patch("/v1/ads/campaigns/c1", json={"bid_fen": 1}, headers=theirs).status_code == 403
    )
    assert client.get("/v1/ads/campaigns", headers=theirs).json() == []
    assert [c["id"] for c in client.get("/v1/ads/campaigns", headers=mine).json()] == ["c1"]
    # only admins move money or create accounts
    assert (
        client.post(
            "/v1/ads/advertisers/a1/topups",
            json={"amount_fen": 5, "idempotency_key": "x"},
            headers=mine,
        ).status_code
        == 403
    )
    assert client.get("/v1/ads/campaigns", headers=make_headers("app")).status_code == 403


def test_bad_input_gets_4xx_naming_field_and_limit(client, admin_headers):
    _setup(client, admin_headers)
    cases = [
        (_campaign(bid_fen=0), "bid_fen", 422),
        (_campaign(daily_budget_fen=10**12), "daily_budget_fen", 422),
        (_campaign(targeting={"categories": ["不存在的类目"]}), "targeting.categories[0]", 422),
        (_campaign(objective="likes"), "objective", 422),
        (_campaign(advertiser="ghost"), "advertiser_id", 404),
    ]
    for body, field, status in cases:
        r = client.post("/v1/ads/campaigns", json=body, headers=admin_headers)
        assert r.status_code == status, (field, r.json())
        problem = r.json()
        assert problem["field"] == field
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.post("/v1/ads/campaigns", json=_campaign(bid_fen=10**9), headers=admin_headers)
    assert r.json()["limit"] == "1..100000"
    assert (
        client.post("/v1/ads/campaigns", json=_campaign(), headers=admin_headers).status_code == 201
    )
    assert (
        client.post("/v1/ads/campaigns", json=_campaign(), headers=admin_headers).status_code == 409
    )
    replay = client.post(
        "/v1/ads/advertisers/a1/topups",
        json={"amount_fen": 50_000, "idempotency_key": "inv-1"},
        headers=admin_headers,
    )
    assert replay.json()["balance_fen"] == 50_000  # the same key never pays twice
    clash = client.post(
        "/v1/ads/advertisers/a1/topups",
        json={"amount_fen": 7, "idempotency_key": "inv-1"},
        headers=admin_headers,
    )
    assert clash.status_code == 409 and clash.json()["field"] == "idempotency_key"
    assert (
        client.get("/v1/ads/reports?start_day=yesterday", headers=admin_headers).status_code == 422
    )


def test_serve_click_report_and_reconcile_over_http(
    services, client, admin_headers, app_headers, make_headers
):
    _setup(client, admin_headers)
    mine = make_headers("advertiser", "a1")
    client.post("/v1/ads/campaigns", json=_campaign(), headers=mine)
    r = client.post(
        "/v1/ads/campaigns/c1/programmatic",
        headers=mine,
        json={
            "id_prefix": "v",
            "titles": ["新品", "特价"],
            "covers": ["a.png"],
            "templates": ["t1", "t2"],
            "landing_url": "https://shop.example/p",
            "aigc": True,
            "aigc_labels": {"Label": "1"},
        },
    )
    assert r.status_code == 201 and len(r.json()) == 4
    now = services.clock.now_ms()
    for u in range(8):
        client.post("/v1/users", json={"id": f"u{u}"}, headers=admin_headers)
    with services.db.session() as session:
        user_pk = {u: catalog.get_user(session, external_id=f"u{u}").id for u in range(8)}
    served = [
        (u, p)
        for u in range(8)
        for p in services.ads.serving.fill(
            AdRequest(
                user_id=user_pk[u],
                user_external_id=f"u{u}",
                request_id=f"r{u}",
                slot_positions=[3],
                now_ms=now,
                context={},
            )
        )
    ]
    placements = [p for _, p in served]
    assert len(placements) == 8
    events = [
        {
            "id": f"{k}-{p.impression_id}",
            "type": k,
            "user_id": f"u{u}",
            "ts_ms": now,
            "ref": p.impression_id,
        }
        for u, p in served
        for k in ("ad_impression", "ad_click")
    ]
    assert client.post("/v1/events", json=events, headers=app_headers).json()["accepted"] == 16
    rows = client.get("/v1/ads/reports?group_by=campaign", headers=mine).json()
    assert rows[0]["clicks"] == 8 and rows[0]["spend_fen"] == sum(p.price_fen for p in placements)
    share = client.get("/v1/ads/reports/aigc-share", headers=mine).json()
    assert share[0]["aigc_share"] == 1.0
    assert client.get("/v1/ads/reconcile", headers=admin_headers).json()["ok"] is True
    settled = client.post("/v1/ads/settle?since_ms=0", headers=admin_headers).json()
    assert settled["recorded"] == 0 and settled["duplicate"] == 16  # already charged once
    kpis = client.get("/v1/ads/kpis", headers=admin_headers).json()
    assert kpis["clicks"] == 8
    alloc = client.get("/v1/ads/campaigns/c1/allocation", headers=mine).json()
    assert sum(v["impressions"] for v in alloc["variants"]) == 8
    assert client.get("/v1/ads/advertisers/a1", headers=mine).json()["balance_fen"] == (
        50_000 - rows[0]["spend_fen"]
    )
    spec = client.get("/openapi.json").json()
    assert "/v1/ads/campaigns" in spec["paths"]
