"""Insights: KPI definitions, reports and charts over the event lake."""

from laotie.insights.kpis import (
    DEFAULT_TIMEZONE,
    KPIS,
    LONG_VIEW_THRESHOLD_MS,
    VALID_PLAY_THRESHOLD_MS,
    Kpi,
    cohort_retention,
    is_long_view,
    is_valid_play,
    kind_mix,
    kpi_table,
)

__all__ = [
    "DEFAULT_TIMEZONE",
    "KPIS",
    "LONG_VIEW_THRESHOLD_MS",
    "VALID_PLAY_THRESHOLD_MS",
    "Kpi",
    "cohort_retention",
    "is_long_view",
    "is_valid_play",
    "kind_mix",
    "kpi_table",
]
