"""Insights: KPI definitions, reports and charts over the event lake."""

from laotie.insights.charts import Chart, render_png, render_svg
from laotie.insights.creators import creator_productivity
from laotie.insights.days import DEFAULT_TIMEZONE, Period, day_of_ms
from laotie.insights.digest import SmtpConfig
from laotie.insights.kpi_registry import KPIS, Kpi, kpi_reference_markdown
from laotie.insights.kpis import cohort_retention, kind_mix, kpi_table
from laotie.insights.report import (
    KpiReport,
    build_report,
    render_html,
    report_charts,
    write_html_report,
    write_png_charts,
)
from laotie.insights.service import InsightsService
from laotie.insights.team_access import Viewer
from laotie.insights.teams import TeamProgramme

__all__ = [
    "DEFAULT_TIMEZONE",
    "KPIS",
    "Chart",
    "InsightsService",
    "Kpi",
    "KpiReport",
    "Period",
    "SmtpConfig",
    "TeamProgramme",
    "Viewer",
    "build_report",
    "cohort_retention",
    "creator_productivity",
    "day_of_ms",
    "kind_mix",
    "kpi_reference_markdown",
    "kpi_table",
    "render_html",
    "render_png",
    "render_svg",
    "report_charts",
    "write_html_report",
    "write_png_charts",
]
