"""``laotie events``: export and compact the event log."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from laotie.cli._common import console, emit_json, services
from laotie.core.clock import from_datetime
from laotie.core.errors import InvalidInput

app = typer.Typer(help="The event log: export it, compact completed days into the lake.")
FORMATS = ("parquet", "csv", "jsonl")


def _ms(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    from datetime import datetime

    try:
        return from_datetime(datetime.fromisoformat(value))
    except ValueError as exc:
        raise InvalidInput(
            f"{field} must be an ISO date or datetime, got {value!r}", field=field
        ) from exc


@app.command("export")
def export(
    out: Annotated[Path, typer.Argument(help="output file (.parquet, .csv or .jsonl)")],
    start: Annotated[
        str | None, typer.Option("--from", help="ISO date/time, inclusive (UTC)")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO date/time, exclusive (UTC)")] = None,
    types: Annotated[list[str] | None, typer.Option("--type", help="event type(s) to keep")] = None,
) -> None:
    """Export events (lake + hot log). Example: laotie events export ev.parquet --from 2026-11-01"""
    suffix = out.suffix.lstrip(".")
    if suffix not in FORMATS:
        raise InvalidInput(f"output must end in one of {FORMATS}, got {out.name!r}", field="out")
    svc = services()
    frame = svc.lake.read(start_ms=_ms(start, "--from"), end_ms=_ms(end, "--to"), types=types)
    frame = frame.with_columns(frame["type"].cast(str))
    temporary = out.with_name(out.name + ".tmp")
    if suffix == "parquet":
        frame.write_parquet(temporary, compression="zstd")
    elif suffix == "csv":
        frame.write_csv(temporary)
    else:
        frame.write_ndjson(temporary)
    temporary.rename(out)
    console.print(f"wrote {frame.height:,} events to {out}")


@app.command("compact")
def compact(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Move completed UTC days into the Parquet lake. Example: laotie events compact"""
    svc = services()
    report = svc.lake.compact(svc.clock.now_ms())
    if as_json:
        emit_json(report.__dict__)
        return
    console.print(
        f"compacted {report.rows:,} events into {report.parts} parts "
        f"({', '.join(report.days) or 'none'})"
    )
