"""``laotie studio``: adapt a novel into a micro-drama, review it, manage studio jobs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from laotie.cli import studio_make, studio_media
from laotie.cli._common import console, emit_json, services, settings
from laotie.core.errors import InvalidInput
from laotie.studio import JobRunner, JobView, OpenAICompatibleClient, load_adaptation, review
from laotie.studio.writer.parse import read_novel

app = typer.Typer(help="AI studio: novel -> micro-drama adaptation, review, jobs.")
jobs_app = typer.Typer(help="Studio jobs: list, show, cancel, retry.")
app.add_typer(jobs_app, name="jobs")
llm_app = typer.Typer(help="The language model the llm engine uses: check it end to end.")
app.add_typer(llm_app, name="llm")
studio_media.register(app)
studio_make.register(app)
ENGINES = ("offline", "llm")


def _follow(runner: JobRunner, job: JobView, *, quiet: bool) -> JobView:
    """Show a progress bar until the job is done; Ctrl-C cancels it."""
    last = job
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[message]}"),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as progress:
        task = progress.add_task(job.kind, total=1.0, message="")
        try:
            for view in runner.watch(job.id, poll_s=0.2):
                progress.update(task, completed=view.progress, message=view.message)
                last = view
        except KeyboardInterrupt:
            runner.cancel(job.id)
            last = runner.wait(job.id, timeout_s=60)
    return last


def _show_llm_estimate(novel_path: Path, episodes: int, yes: bool) -> None:
    from laotie.studio.writer.llm_engine import estimate_cost

    config = settings()
    if not (config.llm_base_url or config.llm_preset):
        raise InvalidInput("the llm engine needs LAOTIE_LLM_BASE_URL", field="LAOTIE_LLM_BASE_URL")
    client = OpenAICompatibleClient.from_settings(config)
    estimate = estimate_cost(
        read_novel(novel_path),
        episodes=episodes,
        provider=client,
        context_tokens=config.llm_context_tokens,
    )
    client.close()
    console.print(
        f"llm engine ({config.llm_model} at {config.llm_base_url}): about {estimate.calls} calls, "
        f"{estimate.prompt_tokens:,} input + {estimate.completion_tokens:,} output tokens, "
        f"at most ¥{estimate.cost_fen / 100:.2f} (plus repairs)"
    )
    if not yes and not typer.confirm("run it?", default=False):
        raise typer.Exit(1)


@app.command("adapt")
def adapt(
    novel: Annotated[Path, typer.Argument(help="novel text file (UTF-8 or GB18030)")],
    episodes: Annotated[int, typer.Option(help="number of episodes", min=1, max=300)] = 80,
    engine: Annotated[str, typer.Option(help="offline (extractive draft) or llm")] = "offline",
    out: Annotated[
        Path | None, typer.Option(help="output dir (default: next to the novel)")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="skip the llm cost confirmation")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the job as JSON")] = False,
) -> None:
    """Adapt a novel into a micro-drama (bible, outline, scripts; JSON, Markdown, DOCX).

    Example: laotie studio adapt 西游记.txt --episodes 80 --engine offline --out xiyouji
    """
    if engine not in ENGINES:
        raise InvalidInput(f"engine must be one of {ENGINES}", field="engine")
    if not novel.is_file():
        raise InvalidInput(f"novel file {novel} does not exist", field="novel")
    if engine == "llm":
        _show_llm_estimate(novel, episodes, yes)
    out_dir = out or Path.cwd() / f"{novel.stem}-adaptation"
    svc = services()
    try:
        job = svc.studio_jobs.submit(
            "adapt",
            {
                "novel_path": str(novel.resolve()),
                "episodes": episodes,
                "engine": engine,
                "out_dir": str(out_dir.resolve()),
            },
        )
        done = _follow(svc.studio_jobs, job, quiet=as_json)
    finally:
        svc.close()
    if as_json:
        emit_json(done.model_dump())
    elif done.status == "succeeded" and done.result:
        result = done.result
        verdict = "passes review" if result["review_passed"] else "[red]fails review[/]"
        console.print(
            f"{result['episodes']} episodes {verdict} (mean score {result['mean_score']}); "
            f"wrote {', '.join(Path(f).name for f in result['files'])} to {result['out_dir']}"
        )
    else:
        console.print(f"[red]job {done.id} {done.status}:[/] {done.error or ''}")
    if done.status != "succeeded":
        raise typer.Exit(1)


@app.command("review")
def review_cmd(
    directory: Annotated[Path, typer.Argument(help="adaptation dir (or its adaptation.json)")],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    show: Annotated[int, typer.Option(help="episodes to list in the table (0 = all)")] = 0,
) -> None:
    """Check an adaptation against every rule and score each episode; exit 1 if it fails.

    Example: laotie studio review xiyouji
    """
    adaptation = load_adaptation(directory)
    report = review(adaptation)
    target = (directory if directory.is_dir() else directory.parent) / "review.json"
    target.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    if as_json:
        emit_json(report.to_dict())
    else:
        table = Table(title=f"《{adaptation.title}》 review ({adaptation.engine} engine)")
        for column in ("集", "score", "pass", "failures / notes"):
            table.add_column(column)
        episodes = report.episodes if show == 0 else report.episodes[:show]
        for episode in episodes:
            table.add_row(
                str(episode.episode),
                str(episode.score),
                "✓" if episode.passed else "✗",
                "；".join(episode.failures + episode.notes) or "—",
            )
        console.print(table)
        for failure in report.series_failures:
            console.print(f"[red]series:[/] {failure}")
        state = "[green]PASS[/]" if report.passed else "[red]FAIL[/]"
        console.print(
            f"{state}: {sum(e.passed for e in report.episodes)}/{len(report.episodes)} episodes "
            f"pass, mean score {report.mean_score:.1f}; report in {target}"
        )
    if not report.passed:
        raise typer.Exit(1)


def _jobs_table(jobs: list[JobView]) -> Table:
    table = Table(title="studio jobs")
    for column in ("id", "kind", "status", "progress", "message / error"):
        table.add_column(column)
    for job in jobs:
        table.add_row(
            job.id, job.kind, job.status, f"{job.progress:.0%}", job.error or job.message or ""
        )
    return table


@llm_app.command("check")
def llm_check(
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Send one small structured request to the configured LLM and validate the answer.

    Uses LAOTIE_LLM_PRESET / LAOTIE_LLM_BASE_URL / LAOTIE_LLM_MODEL / LAOTIE_LLM_API_KEY;
    reports the structured-output mode that worked, latency, tokens and cost.
    Example: LAOTIE_LLM_PRESET=deepseek LAOTIE_LLM_MODEL=deepseek-chat laotie studio llm check
    """
    from laotie.studio.providers.llm_check import check_provider

    config = settings()
    if not (config.llm_base_url or config.llm_preset):
        raise InvalidInput(
            "set LAOTIE_LLM_PRESET or LAOTIE_LLM_BASE_URL first", field="LAOTIE_LLM_BASE_URL"
        )
    client = OpenAICompatibleClient.from_settings(config)
    try:
        result = check_provider(client)
    finally:
        client.close()
    if as_json:
        emit_json(result.__dict__)
        return
    stepped = "" if result.used_mode == result.asked_mode else f" (asked {result.asked_mode})"
    console.print(
        f"[green]ok[/] {result.model} at {client.base_url}: structured output "
        f"{result.used_mode}{stepped}; {result.latency_ms} ms; "
        f"{result.prompt_tokens}+{result.completion_tokens} tokens, {result.cost_fen} fen; "
        f"answer: {result.answer}"
    )


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(help="only jobs in this status")] = None,
    limit: Annotated[int, typer.Option(help="at most this many", min=1, max=200)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List recent studio jobs. Example: laotie studio jobs list --status failed"""
    svc = services()
    jobs = svc.studio_jobs.list(status=status, limit=limit)
    svc.close()
    if as_json:
        emit_json([j.model_dump() for j in jobs])
    else:
        console.print(_jobs_table(jobs))


@jobs_app.command("show")
def jobs_show(job_id: Annotated[str, typer.Argument(help="job id")]) -> None:
    """Show one job as JSON. Example: laotie studio jobs show job_01H..."""
    svc = services()
    job = svc.studio_jobs.get(job_id)
    svc.close()
    emit_json(job.model_dump())


@jobs_app.command("cancel")
def jobs_cancel(job_id: Annotated[str, typer.Argument(help="job id")]) -> None:
    """Cancel a queued job or ask a running one to stop. Example: laotie studio jobs cancel ID"""
    svc = services()
    job = svc.studio_jobs.cancel(job_id)
    svc.close()
    console.print(f"job {job.id}: cancel requested (was {job.status})")


@jobs_app.command("retry")
def jobs_retry(job_id: Annotated[str, typer.Argument(help="job id")]) -> None:
    """Run a failed or cancelled job again, here, with a progress bar.

    Example: laotie studio jobs retry job_01H...
    """
    svc = services()
    try:
        job = svc.studio_jobs.retry(job_id)
        done = _follow(svc.studio_jobs, job, quiet=False)
    finally:
        svc.close()
    console.print(f"job {done.id} {done.status} {done.error or ''}")
    if done.status != "succeeded":
        raise typer.Exit(1)
