"""A run's report: the insights KPI report over the run's events, plus the simulator's truth.

The KPI table and charts come from ``laotie.insights`` (the same definitions the console
uses); the simulator adds what only it knows: oracle NDCG per day, true AIGC watch share
(labelled or not), mean trust and satisfaction.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import polars as pl

from laotie.insights import Chart, KpiReport, day_of_ms, render_html, write_png_charts
from laotie.sim.runner import RunResult
from laotie.wiring import Services


def kpi_report(result: RunResult, services: Services, *, title: str) -> KpiReport:
    """The insights report over the run's days, with the simulator's own charts added."""
    tz = result.config.run.timezone
    # the insights service reads the lake, the catalog and the ads ledger's spend itself
    report = services.insights.kpi_report(
        first_day=day_of_ms(result.start_ms, tz=tz),
        last_day=day_of_ms(result.end_ms - 1, tz=tz),
        title=title,
    )
    labels = [d.label[5:] for d in result.days]
    truth = [
        Chart(
            kind="line",
            title="模拟器真值 Simulator truth: oracle NDCG",
            x_labels=labels,
            series={"oracle NDCG@page": [d.oracle_ndcg for d in result.days]},
            y_label="NDCG",
            subtitle="served pages' true utilities against the best possible page",
        ),
        Chart(
            kind="line",
            title="模拟器真值 Simulator truth: trust and true AIGC share",
            x_labels=labels,
            series={
                "trust 信任": [d.mean_trust for d in result.days],
                "true AIGC 真实AIGC": [d.aigc_watch_ms / max(d.watch_ms, 1) for d in result.days],
            },
            percent=True,
            subtitle="mean user trust; AIGC share of watch time including unlabelled AIGC, "
            "which the platform's KPIs cannot see",
        ),
    ]
    commerce = getattr(services, "commerce", None)
    if commerce is not None:
        truth.append(revenue_chart(commerce.summary()))
    return dataclasses.replace(report, extra_charts=[*report.extra_charts, *truth])


#: the revenue lines as the report names them
REVENUE_LABELS = {
    "ads": "广告 ads",
    "live_gifting": "直播打赏 live gifting",
    "ecommerce_commission": "电商佣金 e-commerce commission",
    "paid_content": "付费短剧 paid content",
}


def revenue_chart(summary: dict[str, Any]) -> Chart:
    """The platform's revenue by line (yuan, from the ledger), with GMV and ARPPU beside."""
    revenue = summary["revenue_fen"]
    return Chart(
        kind="bar",
        title="收入结构 Revenue by line (ledger)",
        x_labels=[REVENUE_LABELS[line] for line in revenue],
        series={"revenue 收入 (yuan)": [fen / 100 for fen in revenue.values()]},
        y_label="yuan",
        subtitle=f"GMV ¥{summary['gmv_fen'] / 100:,.2f} · paying users "
        f"{summary['paying_users']:,} · ARPPU ¥{summary['arppu_fen'] / 100:,.2f} · rates: "
        "docs/commerce.md",
    )


def write_report(
    result: RunResult,
    services: Services,
    directory: Path,
    *,
    title: str = "laotie 模拟运行 sim run",
) -> tuple[Path, KpiReport]:
    """Write ``report.html``, PNG charts and ``days.json`` under ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    report = kpi_report(result, services, title=title)
    html = directory / "report.html"
    html.write_text(render_html(report, generated_at_ms=result.end_ms), encoding="utf-8")
    write_png_charts(report, directory / "charts")
    rows = [d.as_row() for d in result.days]
    (directory / "days.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    report.table.write_csv(directory / "kpis.csv")
    return html, report


def kpi_rows(report: KpiReport, names: list[str]) -> pl.DataFrame:
    """The report's KPI table restricted to ``names`` (that exist), with the period first."""
    present = [n for n in names if n in report.table.columns]
    return report.table.select("period", *present)
