"""``laotie studio``: adapt with a progress bar, review, jobs; the full 80-episode run is slow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from laotie.cli import app

from .conftest import novel_head, novel_path

runner = CliRunner()


def flat(output: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(output.split())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(__import__("os").environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LAOTIE_HOME", str(tmp_path / "home"))
    assert runner.invoke(app, ["init"]).exit_code == 0
    return tmp_path


def test_adapt_review_and_jobs(home: Path) -> None:
    novel = home / "水浒传头.txt"
    novel.write_text(novel_head("水浒传", 12), encoding="utf-8")
    out = home / "out"
    result = runner.invoke(
        app, ["studio", "adapt", str(novel), "--episodes", "10", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "10 episodes passes review" in flat(result.output)
    assert {p.name for p in out.iterdir()} >= {
        "adaptation.json",
        "adaptation.md",
        "adaptation.docx",
    }
    reviewed = runner.invoke(app, ["studio", "review", str(out), "--json"])
    assert reviewed.exit_code == 0, reviewed.output
    assert json.loads((out / "review.json").read_text(encoding="utf-8"))["passed"] is True
    listed = runner.invoke(app, ["studio", "jobs", "list", "--json"])
    jobs = json.loads(listed.output)
    assert jobs[0]["kind"] == "adapt" and jobs[0]["status"] == "succeeded"
    shown = runner.invoke(app, ["studio", "jobs", "show", jobs[0]["id"]])
    assert jobs[0]["id"] in shown.output
    cancelled = runner.invoke(app, ["studio", "jobs", "cancel", jobs[0]["id"]])
    assert cancelled.exit_code == 2 and "already succeeded" in flat(cancelled.output)


def test_review_fails_on_an_edited_broken_adaptation(home: Path, small_novel_text: str) -> None:
    novel = home / "small.txt"
    novel.write_text(small_novel_text, encoding="utf-8")
    out = home / "small"
    assert (
        runner.invoke(
            app, ["studio", "adapt", str(novel), "--episodes", "10", "--out", str(out)]
        ).exit_code
        == 0
    )
    data = json.loads((out / "adaptation.json").read_text(encoding="utf-8"))
    data["scripts"][3]["scenes"] = data["scripts"][3]["scenes"][:1]
    data["scripts"][3]["scenes"][0]["lines"] = data["scripts"][3]["scenes"][0]["lines"][:5]
    (out / "adaptation.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["studio", "review", str(out)])
    assert result.exit_code == 1 and "FAIL" in flat(result.output)


def test_bad_input_is_a_clear_error(home: Path) -> None:
    missing = runner.invoke(app, ["studio", "adapt", str(home / "nope.txt")])
    assert missing.exit_code == 2 and "does not exist" in flat(missing.output)
    engine = runner.invoke(app, ["studio", "adapt", str(home / "nope.txt"), "--engine", "gpt"])
    assert engine.exit_code == 2 and "engine" in flat(engine.output)
    no_llm = home / "n.txt"
    no_llm.write_text("第一回 甲\n乙道：“丙。”\n第二回 丁\n戊。\n", encoding="utf-8")
    llm = runner.invoke(app, ["studio", "adapt", str(no_llm), "--engine", "llm"])
    assert llm.exit_code == 2 and "LAOTIE_LLM_BASE_URL" in flat(llm.output)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["西游记", "三国演义"])
def test_full_novel_into_80_episodes_passes_review(home: Path, name: str) -> None:
    out = home / name
    result = runner.invoke(
        app, ["studio", "adapt", str(novel_path(name)), "--episodes", "80", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    reviewed = runner.invoke(app, ["studio", "review", str(out), "--json"])
    assert reviewed.exit_code == 0
    report = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert report["passed"] and len(report["episodes"]) == 80


def test_llm_engine_through_the_cli_shows_cost_first(
    home: Path, small_novel_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ._llm_server import FakeLLM

    novel = home / "small.txt"
    novel.write_text(small_novel_text, encoding="utf-8")
    with FakeLLM() as fake:
        monkeypatch.setenv("LAOTIE_LLM_BASE_URL", fake.base_url)
        monkeypatch.setenv("LAOTIE_LLM_MODEL", "deepseek-test")
        monkeypatch.setenv("LAOTIE_LLM_API_KEY", "sk-cli-secret")
        declined = runner.invoke(
            app, ["studio", "adapt", str(novel), "--episodes", "10", "--engine", "llm"], input="n\n"
        )
        assert declined.exit_code == 1 and "calls" in flat(declined.output)
        assert fake.requests == []
        out = home / "llm"
        result = runner.invoke(
            app,
            [
                "studio",
                "adapt",
                str(novel),
                "--episodes",
                "10",
                "--engine",
                "llm",
                "--yes",
                "--out",
                str(out),
            ],
        )
    assert result.exit_code == 0, result.output
    assert "sk-cli-secret" not in result.output
    data = json.loads((out / "adaptation.json").read_text(encoding="utf-8"))
    assert data["engine"] == "llm" and data["usage"]["calls"] == 11
