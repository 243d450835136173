"""KPI reports a person would rather read than a table: charts, summary cards, one HTML page.

``build_report`` computes everything from events and items; ``report_charts`` turns the
tables into ``Chart`` descriptions; ``render_html`` writes one self-contained page (inline
CSS and SVG, no CDN, no scripts); ``write_png_charts`` writes the same charts as PNGs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path

import polars as pl

from laotie.insights.charts import Chart, format_value, render_png, render_svg
from laotie.insights.days import DEFAULT_TIMEZONE, FrameLike, Period
from laotie.insights.kpi_registry import KPIS
from laotie.insights.kpis import (
    EventsLike,
    cohort_retention,
    kind_mix,
    kpi_table,
    prepare_events,
)

KIND_LABELS = {
    "video": "短视频 video",
    "episode": "短剧 episode",
    "chapter": "小说 chapter",
    "game": "小游戏 game",
    "live": "直播 live",
    "unknown": "未知 unknown",
}
#: a retention point needs at least this share of D1's users behind it to be drawn
MIN_RETENTION_BASE = 0.5
#: the largest cohorts drawn with their own retention curves
SHOWN_COHORTS = 3
#: KPIs shown as summary cards at the top of the report
CARD_KPIS = (
    "dau",
    "mau",
    "dau_mau",
    "watch_minutes_per_dau",
    "d1_retention",
    "long_view_rate",
    "aigc_watch_share",
    "gmv_fen",
)


@dataclass(frozen=True)
class KpiReport:
    """Everything a KPI report shows: the KPI table, kind mix and cohort retention."""

    table: pl.DataFrame
    mix: pl.DataFrame
    cohorts: pl.DataFrame
    by: Period = "day"
    tz: str = DEFAULT_TIMEZONE
    title: str = "laotie KPI 报告 KPI report"
    productivity: pl.DataFrame | None = None
    extra_charts: list[Chart] = field(default_factory=list)


def build_report(
    events: EventsLike,
    items: FrameLike,
    *,
    tz: str = DEFAULT_TIMEZONE,
    by: Period = "day",
    first_day: date | None = None,
    last_day: date | None = None,
    title: str = "laotie KPI 报告 KPI report",
    max_offset_days: int = 7,
    ad_spend: pl.DataFrame | None = None,
    ledger_lines: pl.DataFrame | None = None,
    productivity: pl.DataFrame | None = None,
) -> KpiReport:
    """Compute the KPI table, kind mix and cohort retention for one report (``ad_spend``,
    ``ledger_lines``: see ``kpi_table``; ``productivity``: a ``creator_productivity`` table
    to show)."""
    prepared = prepare_events(events, items, tz=tz)
    table = kpi_table(
        prepared,
        items,
        tz=tz,
        by=by,
        first_day=first_day,
        last_day=last_day,
        ad_spend=ad_spend,
        ledger_lines=ledger_lines,
    )
    span = {"first_day": first_day, "last_day": last_day}
    mix = kind_mix(prepared, items, tz=tz, by=by, **span)
    cohorts = cohort_retention(prepared, tz=tz, max_offset_days=max_offset_days, **span)
    return KpiReport(
        table=table,
        mix=mix,
        cohorts=cohorts,
        by=by,
        tz=tz,
        title=title,
        productivity=productivity,
    )


def period_labels(periods: pl.Series, by: Period) -> list[str]:
    """Short x-axis labels: MM-DD for days, the span MM-DD–DD of a week (Monday to Sunday),
    YYYY-MM for months."""
    if by == "week":
        return [
            f"{p:%m-%d}–{p + timedelta(days=6):%d}"
            if (p + timedelta(days=6)).month == p.month
            else f"{p:%m-%d}–{p + timedelta(days=6):%m-%d}"
            for p in periods
        ]
    fmt = "%Y-%m" if by == "month" else "%m-%d"
    return [p.strftime(fmt) for p in periods]


def retention_curve(cohorts: pl.DataFrame) -> tuple[list[float | None], list[int]]:
    """Size-weighted mean of each ``dN`` column over the cohorts where it is observable, and
    the users of those cohorts: the base each point stands on."""
    curve: list[float | None] = []
    bases: list[int] = []
    for column in [c for c in cohorts.columns if c.startswith("d") and c[1:].isdigit()]:
        seen = cohorts.filter(pl.col(column).is_not_null())
        size = int(seen["size"].sum()) if seen.height else 0
        weighted = float((seen[column] * seen["size"]).sum()) if seen.height else 0.0
        curve.append(weighted / size if size else None)
        bases.append(size)
    return curve, bases


def _retention_chart(cohorts: pl.DataFrame) -> Chart | None:
    """The size-weighted retention curve and the largest cohorts' own curves (sizes in the
    legend), so that a point only early cohorts reach reads as theirs. A day whose observable
    cohorts hold under ``MIN_RETENTION_BASE`` of D1's users is left out; each x label names
    the users behind the weighted point."""
    curve, bases = retention_curve(cohorts)
    if not curve:
        return None
    reference = bases[1] if len(bases) > 1 else bases[0]
    kept = [k for k, base in enumerate(bases) if base and base >= MIN_RETENTION_BASE * reference]
    series: dict[str, Sequence[float | None]] = {"加权 weighted": [curve[k] for k in kept]}
    largest = cohorts.sort("size", descending=True).head(SHOWN_COHORTS).sort("cohort")
    for row in largest.iter_rows(named=True):
        series[f"{row['cohort']:%m-%d} n={row['size']:,}"] = [row[f"d{k}"] for k in kept]
    return Chart(
        "line",
        "留存曲线 Retention curve",
        [f"D{k} n={bases[k]:,}" for k in kept],
        series,
        y_label="留存 retained share",
        percent=True,
        subtitle="首次活跃日分群；n 不足 D1 一半的天不画 cohorts by first day; weighted "
        "by size, n: their users, days under half of D1's n dropped",
    )


def report_charts(report: KpiReport) -> list[Chart]:
    """The report's charts: activity, watch time, retention, engagement, kind mix, AIGC."""
    table = report.table
    labels = period_labels(table["period"], report.by)
    unit = {"day": "每日 daily", "week": "每周 weekly", "month": "每月 monthly"}[report.by]

    def col(name: str) -> list[float | None]:
        return [None if v is None else float(v) for v in table[name].to_list()]

    charts = [
        Chart(
            "line",
            "活跃用户 Active users",
            labels,
            {"DAU 日活": col("dau"), "WAU 周活": col("wau"), "MAU 月活": col("mau")},
            y_label="用户数 users",
            subtitle=f"{unit}; 周/月为日均 week/month rows are daily means",
        ),
        Chart(
            "bar",
            "观看时长 Watch time",
            labels,
            {"观看小时 hours": [v / 3_600_000 for v in table["watch_ms"].to_list()]},
            y_label="小时 hours",
            subtitle="所有观看事件的 watch_ms 之和 sum of watch_ms",
        ),
        Chart(
            "line",
            "人均观看时长 Watch minutes per DAU",
            labels,
            {"分钟/日活 min per DAU": col("watch_minutes_per_dau")},
            y_label="分钟 minutes",
        ),
    ]
    retention = _retention_chart(report.cohorts)
    if retention is not None:
        charts.append(retention)
    charts.append(
        Chart(
            "line",
            "互动率 Engagement rates",
            labels,
            {
                "播放率 play": col("play_rate"),
                "长播率 long view": col("long_view_rate"),
                "点赞率 like": col("like_rate"),
                "关注率 follow": col("follow_rate"),
                "负反馈率 hate": col("hate_rate"),
            },
            y_label="每次曝光 per impression",
            percent=True,
            subtitle="长播: 时长≤18秒看完, 否则观看>18秒 long view: KuaiRand rule",
        )
    )
    if report.mix.height:
        wide = report.mix.pivot(on="kind", index="period", values="watch_share").sort("period")
        wide = pl.DataFrame({"period": table["period"]}).join(wide, on="period", how="left")
        kinds = [k for k in KIND_LABELS if k in wide.columns]
        charts.append(
            Chart(
                "stacked",
                "消费结构 Consumption mix by kind",
                labels,
                {KIND_LABELS[k]: wide[k].fill_null(0.0).to_list() for k in kinds},
                y_label="观看时长占比 watch share",
                percent=True,
            )
        )
    charts.append(
        Chart(
            "line",
            "AIGC 内容占比 AIGC share",
            labels,
            {
                "曝光 impressions": col("aigc_impression_share"),
                "观看时长 watch time": col("aigc_watch_share"),
            },
            y_label="占比 share",
            percent=True,
            subtitle="aigc_status 为 declared/suspected/confirmed 的内容",
        )
    )
    charts.append(
        Chart(
            "stacked",
            "收入 Revenue by line",
            labels,
            {
                "广告 ads": [(v or 0) / 100 for v in table["ads_revenue_fen"].to_list()],
                "付费 purchases": [v / 100 for v in table["gmv_fen"].to_list()],
            },
            y_label="元 yuan",
            subtitle="广告来自广告账本 ads: ledger; 付费来自购买事件 purchases: events"
            if table["ads_revenue_fen"].drop_nulls().len()
            else "未接入广告账本 no ads ledger in this report; 付费来自购买事件 purchases: events",
        )
    )
    if table["ads_revenue_fen"].drop_nulls().len():
        charts.append(
            Chart(
                "line",
                "AIGC 素材消耗占比 AIGC share of ad spend",
                labels,
                {"AIGC 素材 AIGC creatives": col("aigc_ad_spend_share")},
                y_label="占比 share",
                percent=True,
            )
        )
    if report.productivity is not None and report.productivity.height:
        prod = report.productivity
        # a daily report counts creators' output per week (``InsightsService.kpi_report``)
        prod_by: Period = "week" if report.by == "day" else report.by
        prod_unit = {"week": ("每周", "weekly"), "month": ("每月", "monthly")}[prod_by]
        charts.append(
            Chart(
                "bar",
                f"创作者产出（{prod_unit[0]}）Items per active creator, {prod_unit[1]}",
                period_labels(prod["period"], prod_by),
                {
                    "人均作品 items per creator": prod["items_per_active_creator"].to_list(),
                },
                y_label="作品数 items",
                subtitle="AIGC 辅助占比 AIGC-assisted share: "
                + ", ".join(f"{v * 100:.0f}%" for v in prod["aigc_assisted_share"].to_list()),
            )
        )
    charts.extend(report.extra_charts)
    return charts


def write_png_charts(report: KpiReport, directory: Path | str) -> list[Path]:
    """Write every chart of ``report`` as ``NN_<slug>.png`` under ``directory``."""
    target = Path(directory)
    paths = []
    for n, chart in enumerate(report_charts(report), start=1):
        slug = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in chart.title)
        slug = "_".join(part for part in slug.lower().split("_") if part)
        paths.append(render_png(chart, target / f"{n:02d}_{slug}.png"))
    return paths


def _card(name: str, table: pl.DataFrame) -> str:
    kpi = KPIS[name]
    values = [v for v in table[name].to_list() if v is not None]
    latest = values[-1] if values else None
    percent = kpi.unit == "ratio"
    if latest is None:
        shown = "—"
    elif name == "gmv_fen":
        shown = "¥" + format_value(sum(values) / 100)
    else:
        shown = format_value(float(latest), percent=percent)
    note = "合计 total" if name == "gmv_fen" else "最新 latest"
    return (
        f'<div class="card"><div class="v">{escape(shown)}</div>'
        f'<div class="k">{escape(kpi.label_zh)}<br>{escape(kpi.label_en)}</div>'
        f'<div class="n">{note}</div></div>'
    )


def _cell(name: str, value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    kpi = KPIS.get(name)
    if kpi is not None and kpi.unit == "ratio" and isinstance(value, float):
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() or abs(value) >= 1000 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_CSS = """
body{margin:0;background:#F4F6F8;color:#1F2937;font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',
'PingFang SC','Microsoft YaHei',sans-serif}
header{background:#0B3D63;color:white;padding:24px 32px}
header h1{margin:0 0 6px;font-size:26px}header p{margin:0;opacity:.8}
main{padding:24px 32px;max-width:1500px;margin:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:12px}
.card{background:white;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px #0002}
.card .v{font-size:26px;font-weight:bold;color:#0B3D63}.card .k{font-size:13px;margin-top:4px}
.card .n{font-size:11px;color:#6B7280;margin-top:4px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(620px,1fr));gap:16px;margin-top:20px}
figure{margin:0;background:white;border-radius:8px;padding:8px;box-shadow:0 1px 2px #0002}
h2{margin:28px 0 10px;font-size:19px}
.scroll{overflow-x:auto;background:white;border-radius:8px;box-shadow:0 1px 2px #0002}
table{border-collapse:collapse;font-size:12px;white-space:nowrap}
th,td{padding:5px 9px;border-bottom:1px solid #E5E7EB;text-align:right}
th{background:#F9FAFB;position:sticky;top:0}td:first-child,th:first-child{text-align:left}
dl{background:white;border-radius:8px;padding:12px 20px;font-size:13px}
dt{font-weight:bold;margin-top:8px}dd{margin:2px 0 0 0;color:#374151}
footer{color:#6B7280;font-size:12px;padding:16px 32px}
"""


def render_html(report: KpiReport, *, generated_at_ms: int | None = None) -> str:
    """The whole report as one self-contained HTML page (inline CSS and SVG only)."""
    table = report.table
    periods = table["period"]
    span = f"{periods.min()!s} — {periods.max()!s}" if table.height else "no data"
    stamp = (
        datetime.fromtimestamp(generated_at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
        if generated_at_ms is not None
        else ""
    )
    cards = "".join(_card(name, table) for name in CARD_KPIS if name in table.columns)
    figures = "".join(f"<figure>{render_svg(c)}</figure>" for c in report_charts(report))
    shown = ["period", *KPIS]
    head = "".join(
        f'<th title="{escape(KPIS[c].definition) if c in KPIS else ""}">'
        f"{escape(KPIS[c].label_zh + ' ' + KPIS[c].label_en if c in KPIS else '周期 period')}"
        "</th>"
        for c in shown
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(_cell(c, r[c]))}</td>" for c in shown) + "</tr>"
        for r in table.select(shown).iter_rows(named=True)
    )
    cohort_head = "".join(f"<th>{escape(c)}</th>" for c in report.cohorts.columns)
    share_columns = {c for c in report.cohorts.columns if c.startswith("d") and c[1:].isdigit()}
    cohort_body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(_cell('d1_retention' if c in share_columns else c, r[c]))}</td>"
            for c in report.cohorts.columns
        )
        + "</tr>"
        for r in report.cohorts.iter_rows(named=True)
    )
    by_zh = {"day": "日", "week": "周", "month": "月"}[report.by]
    definitions = "".join(
        f"<dt>{escape(k.label_zh)} {escape(k.label_en)} <code>{escape(k.name)}</code></dt>"
        f"<dd>{escape(k.definition)}</dd>"
        for k in KPIS.values()
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{escape(report.title)}</title><style>{_CSS}</style></head>
<body><header><h1>{escape(report.title)}</h1>
<p>{escape(span)} · 按{by_zh}汇总 by {escape(report.by)} · 时区 time zone {escape(report.tz)}</p>
</header><main>
<div class="cards">{cards}</div>
<div class="charts">{figures}</div>
<h2>KPI 明细 KPI table</h2><div class="scroll"><table><thead><tr>{head}</tr></thead>
<tbody>{body}</tbody></table></div>
<h2>分群留存 Cohort retention</h2><div class="scroll"><table><thead><tr>{cohort_head}</tr>
</thead><tbody>{cohort_body}</tbody></table></div>
<h2>指标定义 Definitions</h2><dl>{definitions}</dl>
</main><footer>laotie insights · {escape(stamp)}</footer></body></html>
"""


def write_html_report(
    report: KpiReport, path: Path | str, *, generated_at_ms: int | None = None
) -> Path:
    """Write ``render_html(report)`` to ``path`` (UTF-8) and return the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_html(report, generated_at_ms=generated_at_ms), encoding="utf-8")
    return target
