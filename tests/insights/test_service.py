"""The insights service on the wired store: KPI reports over lake + hot log, ads ledger spend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.insights.service import InsightsService
from laotie.store.repos import catalog

from .conftest import local_ms

D1 = date(2026, 3, 2)


@dataclass
class SpendRow:
    day: str
    spend_fen: int
    aigc_spend_fen: int


def _seed(services) -> None:
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.create_item(s, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="t"))
    services.events.ingest(
        [
            {
                "id": f"i{n}",
                "type": "impression",
                "user_id": f"u{n}",
                "item_id": "v1",
                "ts_ms": local_ms("2026-03-02 12:00:00") + n,
            }
            for n in range(4)
        ]
    )


def test_report_reads_the_hot_log_and_the_wired_ads_ledger(services, admin_headers, client):
    _seed(services)
    report = services.insights.kpi_report(first_day=D1, last_day=D1)
    day = report.table.row(0, named=True)
    assert day["dau"] == 4
    assert day["ads_revenue_fen"] == 0  # the ads ledger is wired and has no spend yet
    response = client.get(
        "/v1/insights/kpis",
        params={"from": "2026-03-02", "to": "2026-03-02"},
        headers=admin_headers,
    )
    assert response.status_code == 200
    assert response.json()["rows"][0]["dau"] == 4
    assert "long_view_rate" in response.json()["definitions"]
    html = client.get(
        "/v1/insights/report.html",
        params={"from": "2026-03-02", "to": "2026-03-02"},
        headers=admin_headers,
    )
    assert html.status_code == 200 and "<svg" in html.text


def test_only_admins_read_platform_kpis(services, client, make_headers):
    for role, scope in [("app", None), ("creator", "c1"), ("advertiser", "a1")]:
        response = client.get("/v1/insights/kpis", headers=make_headers(role, scope=scope))
        assert response.status_code == 403


def test_ad_spend_source_fills_revenue_and_aigc_share(services):
    _seed(services)
    calls = []

    def ledger(*, start_day: str, end_day: str):
        calls.append((start_day, end_day))
        return [SpendRow("2026-03-02", 800, 200)]

    insights = InsightsService(
        services.db, services.lake, services.clock, tz="Asia/Shanghai", ad_spend=ledger
    )
    day = insights.kpi_report(first_day=D1, last_day=D1).table.row(0, named=True)
    assert calls == [("2026-03-02", "2026-03-02")]
    assert (day["ads_revenue_fen"], day["revenue_fen"], day["arpu_fen"]) == (800, 800, 200.0)
    assert day["aigc_ad_spend_share"] == 0.25
