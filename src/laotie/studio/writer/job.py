"""The ``adapt`` job kind: run an adaptation as a studio job and export it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings
from laotie.studio.jobs import JobContext, JobRunner
from laotie.studio.writer.export import export_all
from laotie.studio.writer.parse import parse_novel, read_novel
from laotie.studio.writer.pipeline import adapt
from laotie.studio.writer.review import review

ADAPT_KIND = "adapt"
#: largest novel accepted inline (characters) in job params, e.g. over the HTTP API
MAX_INLINE_CHARS = 5_000_000


def validate_adapt(params: dict[str, Any]) -> dict[str, Any]:
    """Check ``adapt`` params: novel_text or novel_path, episodes, engine, out_dir."""
    text, path = params.get("novel_text"), params.get("novel_path")
    if bool(text) == bool(path):
        raise InvalidInput("give exactly one of novel_text or novel_path", field="novel_text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_INLINE_CHARS):
        raise InvalidInput("novel_text too long", field="novel_text", limit=MAX_INLINE_CHARS)
    episodes = params.get("episodes", 80)
    if not isinstance(episodes, int) or not 1 <= episodes <= 300:
        raise InvalidInput("episodes must be an integer 1..300", field="episodes", limit=300)
    engine = params.get("engine", "offline")
    if engine not in ("offline", "llm"):
        raise InvalidInput("engine must be offline or llm", field="engine")
    clean = {"episodes": episodes, "engine": engine, "title": str(params.get("title") or "")}
    if text is not None:
        clean["novel_text"] = text
    else:
        clean["novel_path"] = str(path)
    if params.get("out_dir"):
        clean["out_dir"] = str(params["out_dir"])
    return clean


def register_writer_jobs(runner: JobRunner, settings: Settings) -> None:
    """Register the ``adapt`` kind on ``runner``; outputs go under the home unless given."""

    def handle(ctx: JobContext) -> dict[str, Any]:
        params = ctx.params
        ctx.progress(0.0, "读取小说")
        if "novel_path" in params:
            novel = read_novel(Path(params["novel_path"]), title=params["title"] or None)
        else:
            novel = parse_novel(params["novel_text"], title=params["title"] or "未命名")
        out_dir = Path(
            params.get("out_dir") or settings.home / "studio" / "adaptations" / ctx.job_id
        )
        adaptation = adapt(
            novel,
            episodes=params["episodes"],
            engine=params["engine"],
            settings=settings,
            source_file=params.get("novel_path", ""),
            progress=lambda f, m: ctx.progress(0.95 * f, m),
        )
        ctx.progress(0.96, "导出")
        files = export_all(adaptation, out_dir)
        verdict = review(adaptation)
        return {
            "out_dir": str(out_dir),
            "files": [str(f) for f in files],
            "episodes": len(adaptation.scripts),
            "review_passed": verdict.passed,
            "mean_score": round(verdict.mean_score, 1),
            "usage": adaptation.usage,
        }

    runner.register(ADAPT_KIND, handle, validate=validate_adapt)
