"""The ``adapt`` job kind: run an adaptation as a studio job and export it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings
from laotie.studio.files import StudioFiles, studio_files
from laotie.studio.jobs import JobContext, JobRunner, Submitter, Validator
from laotie.studio.writer.export import export_all
from laotie.studio.writer.parse import parse_novel, read_novel
from laotie.studio.writer.pipeline import adapt
from laotie.studio.writer.review import review

ADAPT_KIND = "adapt"
#: largest novel accepted inline (characters) in job params, e.g. over the HTTP API
MAX_INLINE_CHARS = 5_000_000


def _check_adapt(params: dict[str, Any]) -> dict[str, Any]:
    """Check ``adapt`` params: one novel source, episodes, engine, out_dir."""
    sources = [k for k in ("novel_text", "novel_path", "novel_file") if params.get(k)]
    if len(sources) != 1:
        raise InvalidInput(
            "give exactly one of novel_text, novel_file (a studio file id) or novel_path",
            field="novel_text",
        )
    text = params.get("novel_text")
    if text is not None and (not isinstance(text, str) or len(text) > MAX_INLINE_CHARS):
        raise InvalidInput("novel_text too long", field="novel_text", limit=MAX_INLINE_CHARS)
    episodes = params.get("episodes", 80)
    if type(episodes) is not int or not 1 <= episodes <= 300:
        raise InvalidInput("episodes must be an integer 1..300", field="episodes", limit=300)
    engine = params.get("engine", "offline")
    if engine not in ("offline", "llm"):
        raise InvalidInput("engine must be offline or llm", field="engine")
    title = params.get("title") or ""
    if not isinstance(title, str) or len(title) > 200:
        raise InvalidInput("title must be a string of at most 200 characters", field="title")
    clean: dict[str, Any] = {"episodes": episodes, "engine": engine, "title": title}
    source = sources[0]
    clean[source] = str(params[source])
    if params.get("out_dir"):
        clean["out_dir"] = str(params["out_dir"])
    return clean


def adapt_validator(files: StudioFiles) -> Validator:
    """The one validator of ``adapt``: an API caller gives text or a file id, never a path.

    A novel given inline is stored as a studio file and the job keeps only its id, so job
    views stay small however long the novel is.
    """

    def validate(params: dict[str, Any], submitter: Submitter) -> dict[str, Any]:
        if submitter.local:
            return _check_adapt(params)
        for name in ("novel_path", "out_dir"):
            if params.get(name) is not None:
                raise InvalidInput(
                    f"{name}: an API caller gives novel_text or novel_file, never a server path",
                    field=name,
                )
        clean = _check_adapt(params)
        if "novel_file" in clean:
            files.resolve(clean["novel_file"], owner=submitter.owner, field="novel_file")
        else:
            stored = files.save_bytes(
                clean.pop("novel_text").encode("utf-8"), owner=submitter.owner, name="novel.txt"
            )
            clean["novel_file"] = stored.id
        return clean

    return validate


def register_writer_jobs(runner: JobRunner, settings: Settings) -> None:
    """Register the ``adapt`` kind on ``runner``; outputs go under the home unless given."""
    inputs = studio_files(settings)

    def handle(ctx: JobContext) -> dict[str, Any]:
        params = ctx.params
        ctx.progress(0.0, "读取小说")
        if "novel_path" in params:
            novel = read_novel(Path(params["novel_path"]), title=params["title"] or None)
        elif "novel_file" in params:
            path = inputs.resolve(params["novel_file"], owner=None, field="novel_file")
            novel = read_novel(path, title=params["title"] or None)
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
            "review": verdict.to_dict(),
            "usage": adaptation.usage,
        }

    runner.register(ADAPT_KIND, handle, validate=adapt_validator(inputs))
