"""``laotie report``, ``laotie teams`` and ``laotie worker`` in a temporary home."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import load_settings
from laotie.store.repos import catalog
from laotie.wiring import build_services

from .conftest import local_ms

runner = CliRunner()


def _seed(home) -> None:
    services = build_services(load_settings(home=home))
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.create_item(s, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="t"))
    services.events.ingest(
        [
            {
                "id": "i1",
                "type": "impression",
                "user_id": "u1",
                "item_id": "v1",
                "ts_ms": local_ms("2026-03-02 10:00:00"),
            },
            {
                "id": "w1",
                "type": "watch",
                "user_id": "u1",
                "item_id": "v1",
                "ts_ms": local_ms("2026-03-02 10:01:00"),
                "watch_ms": 30_000,
                "duration_ms": 20_000,
            },
            {
                "id": "i2",
                "type": "impression",
                "user_id": "u2",
                "item_id": "v1",
                "ts_ms": local_ms("2026-03-03 10:00:00"),
            },
        ]
    )
    services.close()


def test_report_kpi_in_every_format(tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("LAOTIE_HOME", str(home))
    _seed(home)
    base = ["--home", str(home), "report", "kpi", "--from", "2026-03-02", "--to", "2026-03-03"]
    table = runner.invoke(app, base)
    assert table.exit_code == 0, table.output
    assert "KPIs by day (2026," in table.output and "\n03-02 " in table.output
    as_json = runner.invoke(app, [*base, "--format", "json"])
    rows = json.loads(as_json.output)["rows"]
    assert [r["dau"] for r in rows] == [1, 1]
    assert rows[0]["long_view_rate"] == 1.0
    csv = runner.invoke(app, [*base, "--format", "csv", "--by", "week"])
    assert csv.output.splitlines()[0].startswith("period,dau,")
    html = runner.invoke(app, [*base, "--format", "html", "--out", str(tmp_path / "r.html")])
    assert html.exit_code == 0 and (tmp_path / "r.html").read_text().startswith("<!doctype html>")
    png = runner.invoke(app, [*base, "--format", "png", "--out", str(tmp_path / "png")])
    assert png.exit_code == 0 and len(list((tmp_path / "png").glob("*.png"))) >= 6
    bad = runner.invoke(app, [*base[:-4], "--from", "03/02/2026"])
    assert bad.exit_code == 2 and "--from must be a date" in bad.output


def test_teams_and_worker_commands(tmp_path, monkeypatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("LAOTIE_HOME", str(home))
    _seed(home)
    run = lambda *args: runner.invoke(app, ["--home", str(home), *args])  # noqa: E731
    assert run("teams", "org-create", "o1", "--name", "组织").exit_code == 0
    assert run("teams", "create", "t1", "--org", "o1", "--name", "推荐组").exit_code == 0
    assert run("teams", "add", "t1", "u1").exit_code == 0
    assert (
        run("teams", "add", "t1", "boss", "--role", "manager", "--email", "b@x.cn").exit_code == 0
    )
    records = run(
        "teams", "records", "t1", "u1", "--from", "2026-03-02", "--to", "2026-03-02", "--json"
    )
    assert json.loads(records.output)["records"][0]["minutes"] == 0.5
    digest = run("teams", "digest", "t1", "boss", "--day", "2026-03-02", "--json")
    assert json.loads(digest.output)["members"][0]["user_id"] == "u1"
    assert "opted out" in run("teams", "opt-out", "t1", "u1").output
    assert (
        json.loads(run("teams", "digest", "t1", "boss", "--day", "2026-03-02", "--json").output)[
            "members"
        ]
        == []
    )
    sent = run("teams", "send-digests", "--day", "2026-03-02")
    assert "sent 0, skipped 1" in sent.output  # no SMTP and nobody left to report
    first = run("worker", "--once", "--json")
    assert first.exit_code == 0
    assert {r["name"] for r in json.loads(first.output)} >= {"compact", "digests"}
    assert json.loads(run("worker", "--once", "--json").output) == []
