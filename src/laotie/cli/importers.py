"""``laotie import``: load KuaiRand, KuaiRec or MovieLens into the home, with progress bars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from laotie.cli._common import console, emit_json, services
from laotie.store.importers import ImportReport, import_dataset

app = typer.Typer(
    help="Import public recommendation datasets into the home (see docs/importers.md).",
    no_args_is_help=True,
)
DirectoryArg = Annotated[
    Path, typer.Argument(help="the dataset's data folder", exists=True, file_okay=False)
]
JsonOption = Annotated[bool, typer.Option("--json", help="print the report as JSON")]


def _run(name: str, directory: Path, as_json: bool) -> None:
    svc = services()
    columns = (
        TextColumn("{task.description:<8}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=as_json) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total if total is not None else done)

        report = import_dataset(svc.events, name, directory, items=svc.catalog, progress=progress)
    svc.close()
    if as_json:
        emit_json(report.__dict__)
    else:
        _print(report)


def _print(report: ImportReport) -> None:
    console.print(
        f"{report.dataset} from {report.directory}: {report.source_rows:,} log rows -> "
        f"{report.accepted:,} events stored, {report.duplicate:,} already there, "
        f"{report.rejected:,} rejected; new: {report.users:,} users, {report.items:,} items "
        f"({report.placeholder_items:,} placeholders), {report.creators:,} creators"
    )
    for error in report.errors:
        console.print(f"  [yellow]rejected[/] {error}")


@app.command("kuairand")
def kuairand(directory: DirectoryArg, as_json: JsonOption = False) -> None:
    """KuaiRand logs, user and video features. Example: laotie import kuairand KuaiRand-Pure/data"""
    _run("kuairand", directory, as_json)


@app.command("kuairec")
def kuairec(directory: DirectoryArg, as_json: JsonOption = False) -> None:
    """KuaiRec matrices, captions, categories, users. Example: laotie import kuairec KuaiRec/data"""
    _run("kuairec", directory, as_json)


@app.command("movielens")
def movielens(directory: DirectoryArg, as_json: JsonOption = False) -> None:
    """MovieLens ml-100k or a CSV release (ml-latest, ...). Example: laotie import movielens ml"""
    _run("movielens", directory, as_json)
