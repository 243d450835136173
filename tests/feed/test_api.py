"""The feed over HTTP on a real home: SQLite catalog, event log, training, swaps, problems."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from laotie.api import create_app
from laotie.cli import app as cli
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import now_ms
from laotie.core.settings import Settings
from laotie.store.repos import access
from laotie.store.repos.catalog import bulk_create_creators, bulk_create_items
from laotie.wiring import Services, build_services


@pytest.fixture
def home(settings: Settings) -> Iterator[Services]:
    """A home with 15 creators, 90 items and a day of events from 40 users."""
    settings.home.mkdir(parents=True, exist_ok=True)
    (settings.home / "laotie.toml").write_text("[feed.ranker]\nmin_training_rows = 20\n")
    services = build_services(settings)
    now = now_ms()
    with services.db.session() as session:
        bulk_create_creators(
            session, creators=[CreatorCreate(id=f"c{k}", name=f"创作者{k}") for k in range(15)]
        )
        bulk_create_items(
            session,
            items=[
                ItemCreate(
                    id=f"v{i}",
                    kind="video",
                    creator_id=f"c{i % 15}",
                    title=f"视频{i} 美食教程",
                    category=["美食", "游戏", "旅行"][i % 3],
                    duration_ms=30_000,
                    created_at_ms=now - 86_400_000,
                )
                for i in range(90)
            ],
        )
    rng = np.random.default_rng(0)
    events = []
    for user in range(40):
        for k, item in enumerate(rng.choice(90, 15, replace=False)):
            ts = now - 3_600_000 + k * 60_000 + user
            item = (
                int(item) if user % 3 != int(item) % 3 or k % 2 else (int(item) // 3) * 3 + user % 3
            )
            events.append(
                {
                    "id": f"i{user}-{k}",
                    "type": "impression",
                    "user_id": f"u{user}",
                    "item_id": f"v{item}",
                    "ts_ms": ts,
                }
            )
            if item % 3 == user % 3:
                events.append(
                    {
                        "id": f"p{user}-{k}",
                        "type": "play",
                        "user_id": f"u{user}",
                        "item_id": f"v{item}",
                        "ts_ms": ts + 1,
                    }
                )
                events.append(
                    {
                        "id": f"w{user}-{k}",
                        "type": "watch",
                        "user_id": f"u{user}",
                        "item_id": f"v{item}",
                        "ts_ms": ts + 2,
                        "watch_ms": 25_000,
                        "duration_ms": 30_000,
                    }
                )
    assert services.events.ingest(events).accepted == len(events)
    yield services
    services.close()


@pytest.fixture
def client(home: Services) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with home.db.session() as session:
        key, _ = access.create_key(session, role="app")
    with TestClient(create_app(home)) as test_client:
        yield test_client, {"Authorization": f"Bearer {key}"}


def test_feed_before_and_after_training(home: Services, client: tuple[TestClient, dict]) -> None:
    http, headers = client
    cold = http.get("/v1/feed/u1?n=10", headers=headers)
    assert cold.status_code == 200
    assert cold.json()["warnings"] and cold.json().get("model_version") is None
    home.feed.train()
    page = http.get("/v1/feed/u1", params={"n": 10, "explain": "true"}, headers=headers).json()
    assert page["model_version"] and page["request_id"].startswith("req_") and not page["warnings"]
    assert len(page["entries"]) == 10
    assert all(
        set(e["explain"]) == {"sources", "predictions", "fused", "adjustments"}
        for e in page["entries"]
    )
    second = http.get(
        "/v1/feed/u1", params={"n": 10, "cursor": page["next_cursor"]}, headers=headers
    ).json()
    assert not {e["id"] for e in second["entries"]} & {e["id"] for e in page["entries"]}
    home.feed.flush()
    impressions = home.lake.read(types=["impression"]).filter(
        home.lake.read(types=["impression"])["request_id"] == page["request_id"]
    )
    assert impressions.height == 10


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("n=0", "n"),
        ("n=500", "n"),
        ("n=abc", "n"),
        ("kind=film", "kind"),
        ("cursor=bogus", "cursor"),
    ],
)
def test_bad_parameters_are_problems_naming_them(
    client: tuple[TestClient, dict], query: str, field: str
) -> None:
    http, headers = client
    response = http.get(f"/v1/feed/u1?{query}", headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body.get("field") == field or any(
        e.get("field") == field for e in body.get("errors", [])
    )


def test_unknown_user_and_auth(client: tuple[TestClient, dict]) -> None:
    http, headers = client
    assert http.get("/v1/feed/someone-new?n=5", headers=headers).status_code == 200
    assert http.get("/v1/feed/u1").status_code == 401


def test_cli_train_and_feed(home: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    trained = runner.invoke(cli, ["train", "--json"])
    assert trained.exit_code == 0, trained.output
    assert '"version"' in trained.output
    shown = runner.invoke(cli, ["feed", "u2", "-n", "5", "--explain"])
    assert shown.exit_code == 0, shown.output
    assert "fused" in shown.output and "sources" in shown.output
    bad = runner.invoke(cli, ["feed", "u2", "-n", "0"])
    assert bad.exit_code == 2 and "n must be between 1 and 100" in bad.output


def test_running_server_swaps_to_a_version_trained_elsewhere(
    home: Services, client: tuple[TestClient, dict]
) -> None:
    http, headers = client
    home.feed.train()
    first = home.feed.served.version
    other = build_services(home.settings)  # another process: `laotie train`
    other.feed.train()
    newer = other.feed.served.version
    other.close()
    assert newer != first
    assert home.feed.served.reload() and home.feed.served.version == newer
    assert http.get("/v1/feed/u3?n=5", headers=headers).json()["model_version"] == newer


def test_cli_feed_inspects_without_logging(home: Services) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["train"]).exit_code == 0

    def impressions() -> int:
        home.feed.flush()
        return home.lake.read(types=["impression"]).height

    before = impressions()
    shown = runner.invoke(cli, ["feed", "u2", "-n", "5", "--json"])
    assert shown.exit_code == 0, shown.output
    assert "inspection" in shown.output
    assert impressions() == before
    logged = runner.invoke(cli, ["feed", "u2", "-n", "5", "--log"])
    assert logged.exit_code == 0, logged.output
    assert impressions() == before + 5


def test_api_preview_logs_nothing(home: Services, client: tuple[TestClient, dict]) -> None:
    http, headers = client

    def impressions() -> int:
        home.feed.flush()
        return home.lake.read(types=["impression"]).height

    before = impressions()
    previewed = http.get("/v1/feed/u2", params={"n": 5, "preview": "true"}, headers=headers)
    assert previewed.status_code == 200, previewed.text
    assert len(previewed.json()["entries"]) == 5
    assert impressions() == before
    served = http.get("/v1/feed/u2", params={"n": 5}, headers=headers)
    assert served.status_code == 200, served.text
    assert impressions() == before + 5


def test_similar_items_and_users(home: Services, client: tuple[TestClient, dict]) -> None:
    http, headers = client
    home.feed.train()
    items = http.get("/v1/items/v3/similar?n=8", headers=headers)
    assert items.status_code == 200, items.text
    body = items.json()
    assert body["basis"] == "als" and body["model_version"] and len(body["items"]) == 8
    ids = [int(e["id"][1:]) for e in body["items"]]
    assert 3 not in ids
    assert sum(i % 3 == 0 for i in ids) >= 6  # users play one category: its items go together
    users = http.get("/v1/users/u1/similar?n=5", headers=headers).json()
    assert users["basis"] == "als" and len(users["users"]) == 5
    assert "u1" not in {u["id"] for u in users["users"]}
    assert sum(int(u["id"][1:]) % 3 == 1 for u in users["users"]) >= 4
    assert http.get("/v1/items/nope/similar", headers=headers).status_code == 404
    assert http.get("/v1/users/nobody/similar", headers=headers).status_code == 404
    assert http.get("/v1/items/v3/similar?n=0", headers=headers).status_code == 422
    assert http.get("/v1/items/v3/similar").status_code == 401


def test_similar_users_for_a_person_key_is_their_own_only(
    home: Services, client: tuple[TestClient, dict]
) -> None:
    http, _ = client
    home.feed.train()
    with home.db.session() as session:
        key, _ = access.create_key(session, role="app", scope="person:u1")
    own = http.get("/v1/users/u1/similar", headers={"Authorization": f"Bearer {key}"})
    assert own.status_code == 200
    other = http.get("/v1/users/u2/similar", headers={"Authorization": f"Bearer {key}"})
    assert other.status_code == 403


def test_cold_item_falls_back_to_content(home: Services) -> None:
    with home.db.session() as session:
        bulk_create_items(
            session,
            items=[
                ItemCreate(
                    id="fresh1",
                    kind="video",
                    creator_id="c1",
                    title="视频 美食教程 新",
                    category="美食",
                    duration_ms=30_000,
                    created_at_ms=now_ms(),
                )
            ],
        )
    home.feed.train()
    home.feed.served.refresh_catalog()
    result = CliRunner().invoke(cli, ["similar", "item", "fresh1", "-n", "3", "--json"])
    assert result.exit_code == 0, result.output
    assert '"basis": "content"' in result.output or '"basis": "category"' in result.output
