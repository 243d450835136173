"""The trust HTTP API: uploads with media, text checks, the review queue and decisions."""

from __future__ import annotations

import json
from pathlib import Path

from laotie.media import read_label
from laotie.trust.spin import stuff

from .fixtures import CLASSICAL, labelled_image, stripped_copy


def _creators(client, admin_headers):
    for name in ("alice", "bob"):
        response = client.post(
            "/v1/creators", json={"id": name, "name": name}, headers=admin_headers
        )
        assert response.status_code == 201


def _item(item_id: str, creator: str, caption: str) -> str:
    return json.dumps(
        {
            "id": item_id,
            "kind": "video",
            "creator_id": creator,
            "title": item_id,
            "caption": caption,
        }
    )


def test_upload_labelled_image_then_stripped_copy(
    client, admin_headers, make_headers, tmp_path: Path
):
    _creators(client, admin_headers)
    alice = make_headers("creator", "alice")
    source = labelled_image(tmp_path / "a.png")
    with source.open("rb") as handle:
        response = client.post(
            "/v1/uploads",
            data={"item": _item("a1", "alice", "画")},
            files={"file": ("a.png", handle, "image/png")},
            headers=alice,
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["item"]["aigc_status"] == "confirmed" and body["notice"] == "AI生成"
    assert read_label(Path(body["item"]["media_path"])).label.PropagateID == "a1"

    copy = stripped_copy(source, tmp_path / "b.png")
    with copy.open("rb") as handle:
        response = client.post(
            "/v1/uploads",
            data={"item": _item("b1", "bob", "画")},
            files={"file": ("b.png", handle, "image/png")},
            headers=make_headers("creator", "bob"),
        )
    body = response.json()
    assert body["item"]["aigc_status"] == "suspected"
    assert body["notice"] == "疑似AI生成，请注意甄别"
    assert body["trust"]["decision"] == "block"  # same pixels: an exact copy
    assert body["trust"]["original"]["item_external_id"] == "a1"


def test_upload_refuses_other_creators_and_bad_items(client, admin_headers, make_headers):
    _creators(client, admin_headers)
    alice = make_headers("creator", "alice")
    response = client.post("/v1/uploads", data={"item": _item("x", "bob", "hi")}, headers=alice)
    assert response.status_code == 403
    response = client.post("/v1/uploads", data={"item": '{"id": "x"}'}, headers=alice)
    assert response.status_code == 422
    assert response.json()["field"].startswith("item.")
    response = client.post(
        "/v1/uploads",
        data={"item": _item("y", "alice", "hi")},
        files={"file": ("y.exe", b"MZ", "application/octet-stream")},
        headers=alice,
    )
    assert response.status_code == 422 and response.json()["field"] == "file"
    assert client.get("/v1/items/y", headers=admin_headers).status_code == 404


def test_review_queue_and_decision(client, admin_headers, make_headers):
    _creators(client, admin_headers)
    spam = (
        stuff(CLASSICAL, times=10, phrase="加微信领福利", seed=1)
        + "\n上一章 | 返回目录 | 下一章\n（本章完）"
    )
    response = client.post(
        "/v1/uploads",
        data={"item": _item("s1", "bob", spam)},
        headers=make_headers("creator", "bob"),
    )
    assert response.json()["trust"]["decision"] == "review"
    queue = client.get("/v1/trust/queue", headers=admin_headers).json()
    assert [e["item_id"] for e in queue["items"]] == ["s1"]
    assert client.get("/v1/trust/queue", headers=make_headers("app")).status_code == 403
    decided = client.post(
        "/v1/trust/items/s1/decision",
        json={"decision": "block", "note": "ad"},
        headers=admin_headers,
    ).json()
    assert decided["decision"] == "block" and decided["review_state"] == "resolved"
    bad = client.post("/v1/trust/items/s1/decision", json={"decision": "x"}, headers=admin_headers)
    assert bad.status_code == 422
    assert client.get("/v1/trust/items/s1", headers=admin_headers).json()["decision"] == "block"


def test_text_check(client, app_headers):
    response = client.post("/v1/trust/check", json={"text": CLASSICAL}, headers=app_headers)
    body = response.json()
    assert body["decision"] == "allow" and body["aigc"]["status"] == "none"
    assert {c["check"] for c in body["checks"]} == {
        "keyword_stuffing",
        "spun_text",
        "boilerplate",
        "punctuation_spacing",
    }
    assert client.post("/v1/trust/check", json={"text": ""}, headers=app_headers).status_code == 422
