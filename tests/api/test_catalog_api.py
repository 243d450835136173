def _creator(client, headers, cid="c1"):
    assert (
        client.post("/v1/creators", json={"id": cid, "name": "工作室"}, headers=headers).status_code
        == 201
    )


def test_health_and_openapi(client):
    assert client.get("/v1/health").json()["status"] == "ok"
    spec = client.get("/openapi.json").json()
    assert "/v1/events" in spec["paths"] and "/v1/items" in spec["paths"]


def test_item_crud_with_cursor_pagination_and_filters(client, admin_headers):
    _creator(client, admin_headers)
    for i in range(7):
        body = {
            "id": f"v{i}",
            "kind": "video" if i % 2 else "game",
            "creator_id": "c1",
            "title": f"标题{i}",
        }
        assert client.post("/v1/items", json=body, headers=admin_headers).status_code == 201
    page = client.get("/v1/items?limit=2&kind=video", headers=admin_headers).json()
    ids = [i["id"] for i in page["items"]]
    page2 = client.get(
        f"/v1/items?limit=2&kind=video&cursor={page['next_cursor']}", headers=admin_headers
    ).json()
    assert ids + [i["id"] for i in page2["items"]] == ["v1", "v3", "v5"]
    assert page2["next_cursor"] is None
    patched = client.patch("/v1/items/v1", json={"title": "新标题"}, headers=admin_headers).json()
    assert patched["title"] == "新标题"
    assert client.delete("/v1/items/v1", headers=admin_headers).status_code == 204
    assert client.get("/v1/items/v1", headers=admin_headers).json()["status"] == "removed"


def test_series_episodes(client, admin_headers):
    _creator(client, admin_headers)
    assert (
        client.post(
            "/v1/series",
            json={"id": "s1", "creator_id": "c1", "title": "霸总"},
            headers=admin_headers,
        ).status_code
        == 201
    )
    body = {
        "id": "e1",
        "kind": "episode",
        "creator_id": "c1",
        "parent_id": "s1",
        "position": 1,
        "title": "第1集",
    }
    assert client.post("/v1/items", json=body, headers=admin_headers).status_code == 201
    listed = client.get("/v1/items?parent_id=s1", headers=admin_headers).json()["items"]
    assert [i["id"] for i in listed] == ["e1"]
    again = client.post("/v1/items", json=body | {"id": "e2"}, headers=admin_headers)
    assert again.status_code == 409


def test_bad_input_is_a_problem_document_naming_the_field(client, admin_headers):
    _creator(client, admin_headers)
    response = client.post(
        "/v1/items",
        json={"id": "v1", "kind": "movie", "creator_id": "c1", "title": "x"},
        headers=admin_headers,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/invalid-input") and problem["field"] == "kind"
    assert client.get("/v1/items?limit=0", headers=admin_headers).json()["field"] == "limit"
    bad_cursor = client.get("/v1/items?cursor=zzz", headers=admin_headers).json()
    assert bad_cursor["field"] == "cursor"
    missing = client.get("/v1/items/nope", headers=admin_headers)
    assert missing.status_code == 404 and missing.json()["type"].endswith("/not-found")


def test_keys_and_roles(client, services, admin_headers, make_headers):
    assert client.get("/v1/items").status_code == 401
    assert (
        client.get("/v1/items", headers={"Authorization": "Bearer lt_nope.nope"}).status_code == 401
    )
    assert client.get("/v1/items", headers={"Authorization": "Basic abc"}).status_code == 401
    _creator(client, admin_headers, "c1")
    _creator(client, admin_headers, "c2")
    mine = make_headers("creator", "c1")
    ok = client.post(
        "/v1/items",
        json={"id": "v1", "kind": "video", "creator_id": "c1", "title": "x"},
        headers=mine,
    )
    assert ok.status_code == 201
    theirs = client.post(
        "/v1/items",
        json={"id": "v2", "kind": "video", "creator_id": "c2", "title": "x"},
        headers=mine,
    )
    assert theirs.status_code == 403 and theirs.json()["field"] == "scope"
    app_key = make_headers("app")
    assert (
        client.post("/v1/creators", json={"id": "c3", "name": "x"}, headers=app_key).status_code
        == 403
    )
    assert client.get("/v1/items", headers=app_key).status_code == 200
