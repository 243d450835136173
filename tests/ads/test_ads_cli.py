"""``laotie ads`` commands in a temporary home."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from laotie.cli import app

runner = CliRunner()


def _run(home, *args):
    return runner.invoke(app, ["--home", str(home), "ads", *args])


def test_ads_cli_end_to_end(tmp_path, monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAOTIE_ADS_CATEGORIES", '["美妆"]')
    home = tmp_path / "h"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    assert _run(home, "create-advertiser", "adv1", "--name", "小店").exit_code == 0
    topped = _run(home, "top-up", "adv1", "--yuan", "12.34", "--key", "inv-1", "--json")
    assert topped.exit_code == 0 and json.loads(topped.output)[0]["balance_fen"] == 1234
    again = _run(home, "top-up", "adv1", "--yuan", "12.34", "--key", "inv-1", "--json")
    assert json.loads(again.output)[0]["balance_fen"] == 1234
    made = _run(
        home,
        "create-campaign",
        "c1",
        "--advertiser",
        "adv1",
        "--objective",
        "clicks",
        "--bid-fen",
        "30",
        "--budget-fen",
        "5000",
        "--category",
        "美妆",
        "--hour",
        "20",
    )
    assert made.exit_code == 0, made.output
    unknown = _run(
        home,
        "create-campaign",
        "c2",
        "--advertiser",
        "adv1",
        "--objective",
        "clicks",
        "--bid-fen",
        "30",
        "--budget-fen",
        "5000",
        "--category",
        "汽车",
    )
    assert unknown.exit_code == 2 and "targeting.categories[0]" in unknown.output
    too_much = _run(
        home,
        "create-campaign",
        "c3",
        "--advertiser",
        "adv1",
        "--objective",
        "clicks",
        "--bid-fen",
        "0",
        "--budget-fen",
        "5000",
    )
    assert too_much.exit_code == 2 and "bid_fen" in too_much.output
    creative = _run(
        home,
        "add-creative",
        "c1",
        "cr1",
        "--title",
        "口红",
        "--landing",
        "https://shop.example/l",
        "--asset",
        "cover=a.png",
        "--aigc",
        "--label",
        "Label=1",
    )
    assert creative.exit_code == 0, creative.output
    variants = _run(
        home,
        "programmatic",
        "c1",
        "--prefix",
        "p",
        "--title",
        "a",
        "--title",
        "b",
        "--cover",
        "x.png",
        "--template",
        "t1",
        "--landing",
        "https://e.com",
        "--json",
    )
    assert len(json.loads(variants.output)) == 2
    assert _run(home, "pause", "c1").exit_code == 0
    listed = json.loads(_run(home, "campaigns", "--json").output)
    assert listed[0]["status"] == "paused"
    report = _run(home, "report", "--by", "day", "--by", "creative")
    assert report.exit_code == 0 and "AIGC" in report.output
    assert json.loads(_run(home, "report", "--json").output) == {"rows": [], "aigc_share": []}
    assert json.loads(_run(home, "kpis").output)["spend_fen"] == 0
    reconciled = _run(home, "reconcile")
    assert reconciled.exit_code == 0 and json.loads(reconciled.output)["ok"] is True
    trained = json.loads(_run(home, "train").output)
    assert trained["pctr"]["trained"] is False  # no events yet: says so instead of guessing
    assert _run(home, "allocation", "c1").exit_code == 0
    assert json.loads(_run(home, "settle", "--since-hours", "1").output)["recorded"] == 0
