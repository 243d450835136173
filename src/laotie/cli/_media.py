"""What the studio's media commands share: a progress bar, publishing a video, the result."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from laotie.cli._common import console, emit_json, services
from laotie.studio import MediaContext, publish_video


@contextmanager
def media_progress(quiet: bool) -> Iterator[Callable[[float, str], None]]:
    """A progress bar for a render; yields ``update(fraction 0..1, message)``."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("starting", total=1.0)
        yield lambda fraction, message: bar.update(task, completed=fraction, description=message)


def publish_video_item(path: Path, title: str, duration_s: float) -> str:
    """Publish a rendered video to the home's catalog; answers the new item's id."""
    built = services()
    try:
        return publish_video(
            MediaContext(settings=built.settings, db=built.db, catalog=built.catalog),
            path=path,
            title=title,
            caption="",
            duration_s=duration_s,
        )
    finally:
        built.close()


def report_result(result: dict[str, object], as_json: bool) -> None:
    """Print a command's result as JSON, or one line a field (a row a line for lists)."""
    if as_json:
        emit_json(result)
        return
    for key, value in result.items():
        if isinstance(value, list):
            for row in value:
                console.print(json.dumps(row, ensure_ascii=False))
        else:
            console.print(f"[bold]{key}[/]: {value}")
