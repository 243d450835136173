"""ECharts options for the Overview page, built from an insights KPI report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from laotie.insights import KPIS, KpiReport

Option = dict[str, Any]
#: colours with at least 3:1 contrast on white, in the order series take them
PALETTE = ["#1f5fbf", "#c2410c", "#15803d", "#7e22ce", "#b91c1c", "#0e7490"]
SYMBOLS = ["circle", "triangle", "rect", "diamond"]
DASHES = ["solid", "dashed", "dotted"]


def kpi_label(name: str, lang: str) -> str:
    """A KPI's name in the visitor's language, from its one definition in insights."""
    kpi = KPIS[name]
    return kpi.label_zh if lang == "zh" else kpi.label_en


def _values(report: KpiReport, column: str, scale: float = 1.0) -> list[float | None]:
    return [None if v is None else round(float(v) * scale, 4) for v in report.table[column]]


def axis_chart(
    title: str, categories: list[str], series: list[Option], *, y_axis: Option | None = None
) -> Option:
    """An ECharts option with a category x axis, a value y axis and a legend over ``series``."""
    return {
        "color": PALETTE,
        "title": {"text": title, "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 24},
        "grid": {"top": 64, "left": 56, "right": 16, "bottom": 32},
        "xAxis": {"type": "category", "data": categories},
        "yAxis": {"type": "value", **(y_axis or {})},
        "series": series,
    }


def _lines(
    title: str, periods: list[str], series: list[tuple[str, list[float | None]]], *, percent: bool
) -> Option:
    axis: Option = {"axisLabel": {"formatter": "{value}%"}} if percent else {}
    return axis_chart(
        title,
        periods,
        [
            {
                "name": name,
                "type": "line",
                "data": data,
                "connectNulls": False,
                "symbol": SYMBOLS[i % len(SYMBOLS)],
                "symbolSize": 7,
                # a line hidden under another (WAU under MAU) still shows by its dash
                "lineStyle": {"type": DASHES[i % len(DASHES)], "width": 2},
            }
            for i, (name, data) in enumerate(series)
        ],
        y_axis=axis,
    )


def overview_charts(report: KpiReport, lang: str, t: Callable[[str], str]) -> list[Option]:
    """DAU/WAU/MAU, watch time, retention by cohort, kind mix, revenue and AIGC share."""
    periods = [p.strftime("%m-%d") for p in report.table["period"]]
    label = lambda name: kpi_label(name, lang)  # noqa: E731
    charts = [
        _lines(
            t("chart_active"),
            periods,
            [(label(k), _values(report, k)) for k in ("dau", "wau", "mau")],
            percent=False,
        ),
        _lines(
            t("chart_watch"),
            periods,
            [(label("watch_minutes_per_dau"), _values(report, "watch_minutes_per_dau"))],
            percent=False,
        ),
        _retention(report, t),
        _kind_mix(report, t),
        _lines(
            t("chart_revenue"),
            periods,
            [
                (label(k), _values(report, k, 0.01))
                for k in ("revenue_fen", "ads_revenue_fen", "gmv_fen")
            ],
            percent=False,
        ),
        _lines(
            t("chart_aigc"),
            periods,
            [
                (label(k), _values(report, k, 100.0))
                for k in ("aigc_impression_share", "aigc_watch_share", "aigc_ad_spend_share")
            ],
            percent=True,
        ),
    ]
    return charts


def _retention(report: KpiReport, t: Callable[[str], str]) -> Option:
    """One line per cohort (named with its size), so a thin late cohort cannot pass for all."""
    offsets = [c for c in report.cohorts.columns if c.startswith("d") and c[1:].isdigit()]
    series = []
    for row in report.cohorts.iter_rows(named=True):
        name = f"{row['cohort'].strftime('%m-%d')} (n={row['size']})"
        data = [None if row[c] is None else round(row[c] * 100, 1) for c in offsets]
        series.append((name, data))
    return _lines(t("chart_retention"), offsets, series, percent=True)


def _kind_mix(report: KpiReport, t: Callable[[str], str]) -> Option:
    mix = report.mix
    periods = sorted({p for p in mix["period"]})
    labels = [p.strftime("%m-%d") for p in periods]
    kinds = list(dict.fromkeys(mix["kind"]))
    series = []
    for kind in kinds:
        shares = {
            r["period"]: r["impression_share"]
            for r in mix.filter(mix["kind"] == kind).iter_rows(named=True)
        }
        data = [round((shares.get(p) or 0.0) * 100, 1) for p in periods]
        series.append({"name": kind, "type": "bar", "stack": "mix", "data": data})
    return axis_chart(
        t("chart_mix"), labels, series, y_axis={"max": 100, "axisLabel": {"formatter": "{value}%"}}
    )
