"""``laotie report``: KPI reports over the event lake as a table, JSON, CSV, HTML or PNG charts."""

from __future__ import annotations

import json
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from laotie.cli._common import console, services
from laotie.cli._tables import fitted_tables
from laotie.core.errors import InvalidInput
from laotie.insights import KPIS
from laotie.insights.charts import format_value
from laotie.insights.report import KpiReport, write_html_report, write_png_charts

app = typer.Typer(help="KPI reports over the event lake (DAU, watch time, retention, revenue).")

#: the KPIs the terminal table shows (JSON/CSV/HTML carry every KPI)
TABLE_KPIS = (
    "dau",
    "mau",
    "dau_mau",
    "watch_minutes_per_dau",
    "plays_per_dau",
    "d1_retention",
    "long_view_rate",
    "aigc_watch_share",
    "revenue_fen",
    "arpu_fen",
)


class By(StrEnum):
    """Report period."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Format(StrEnum):
    """Output format."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PNG = "png"


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(
            f"--{field} must be a date YYYY-MM-DD, not {value!r}", field=field
        ) from exc


def _shown(name: str, value: object) -> str:
    if value is None:
        return "—"
    if name.endswith("_fen"):
        return "¥" + format_value(float(value) / 100)  # type: ignore[arg-type]
    return format_value(float(value), percent=KPIS[name].unit == "ratio")  # type: ignore[arg-type]


def kpi_tables(report: KpiReport, *, width: int) -> list[Table]:
    """The terminal view of ``report``: one row a period, split by columns to fit ``width``."""
    table = report.table
    years = {p.year for p in table["period"]}
    short = report.by != "month" and len(years) == 1  # the title carries the year
    rows = [
        [
            row["period"].strftime("%m-%d") if short else str(row["period"]),
            *(_shown(n, row[n]) for n in TABLE_KPIS),
        ]
        for row in table.iter_rows(named=True)
    ]
    span = f"{min(years)}, " if short else ""
    return fitted_tables(
        width=width,
        title=f"KPIs by {report.by} ({span}{report.tz})",
        key=report.by,
        headers=[KPIS[name].short for name in TABLE_KPIS],
        rows=rows,
    )


@app.command("kpi")
def kpi(
    first: Annotated[
        str | None,
        typer.Option("--from", help="first local day (YYYY-MM-DD); default 30 days before --to"),
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="last local day (YYYY-MM-DD); default yesterday")
    ] = None,
    by: Annotated[By, typer.Option(help="day | week | month")] = By.DAY,
    output_format: Annotated[
        Format, typer.Option("--format", help="table | json | csv | html | png")
    ] = Format.TABLE,
    out: Annotated[
        Path | None,
        typer.Option(
            help="file (json/csv/html) or folder (png); default under the home's reports/"
        ),
    ] = None,
) -> None:
    """KPIs per day, week or month.

    Example: laotie report kpi --from 2026-03-01 --to 2026-03-30 --by week --format html
    """
    svc = services()
    report = svc.insights.kpi_report(
        first_day=_day(first, "from"), last_day=_day(last, "to"), by=by.value
    )
    table = report.table
    span = f"{table['period'].min()!s}_{table['period'].max()!s}"
    if output_format is Format.TABLE:
        for part in kpi_tables(report, width=console.width):
            console.print(part)
        return
    if output_format is Format.JSON:
        text = json.dumps(
            {
                "by": by.value,
                "tz": report.tz,
                "rows": table.with_columns(table["period"].cast(str)).to_dicts(),
            },
            ensure_ascii=False,
            indent=2,
        )
        _emit(text, out)
        return
    if output_format is Format.CSV:
        _emit(table.write_csv(), out)
        return
    reports = svc.settings.home / "reports"
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    if output_format is Format.HTML:
        path = write_html_report(
            report,
            out or reports / f"kpi-{by.value}-{span}-{stamp}.html",
            generated_at_ms=svc.clock.now_ms(),
        )
        console.print(f"wrote {path}")
        return
    paths = write_png_charts(report, out or reports / f"kpi-{by.value}-{span}-{stamp}")
    for path in paths:
        console.print(f"wrote {path}")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        typer.echo(text, nl=not text.endswith("\n"))
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out}")
