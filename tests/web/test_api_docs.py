"""/docs and /redoc load every asset from laotie itself; the OpenAPI document declares the
key's security schemes, problem+json errors and the events request body."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_docs_pages_use_only_local_assets(app_client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        html = app_client.get(page).text
        assets = _assets(html)
        assert assets, page
        for url in assets:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            response = app_client.get(url)
            assert response.status_code == 200 and len(response.content) > 1000, url
        assert "fonts.googleapis" not in html and "cdn.jsdelivr" not in html


def test_openapi_declares_security_problems_and_bodies(app_client: TestClient) -> None:
    document = app_client.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["apiKey"]["in"] == "header" and schemes["apiKey"]["name"] == "X-API-Key"
    items = document["paths"]["/v1/items"]["post"]
    assert items["security"] == [{"bearer": []}, {"apiKey": []}]
    assert "requestBody" in items
    assert not any(p["name"].lower() == "authorization" for p in items.get("parameters", []))
    for status in ("401", "403", "422"):
        content = items["responses"][status]["content"]
        assert (
            content["application/problem+json"]["schema"]["$ref"] == "#/components/schemas/Problem"
        )
    events = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    one_of = events["schema"]["oneOf"]
    assert one_of[0]["maxItems"] > 0 and "EventIn" in one_of[0]["items"]["description"]
    assert "EventIn" in document["components"]["schemas"]
    health = document["paths"]["/v1/health"]["get"]
    assert "security" not in health


def test_console_pages_are_not_in_the_api_document(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    assert all(p.startswith("/v1/") for p in paths), sorted(
        p for p in paths if not p.startswith("/v1/")
    )
