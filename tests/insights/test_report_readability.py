"""What a reader of the report sees: overlapping lines both visible, weekly bars labelled as
weeks, and a retention curve without points only a few early users stand on."""

from datetime import date

import numpy as np
import polars as pl
from PIL import Image

from laotie.insights.charts import PALETTE, Chart, dashed, render_png, render_svg
from laotie.insights.report import KpiReport, period_labels, report_charts, retention_curve


def _pixels_of(path, color: str) -> int:
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    pixels = np.asarray(Image.open(path).convert("RGB"))
    return int((pixels == rgb).all(axis=-1).sum())


def test_a_dash_pattern_runs_on_across_corners() -> None:
    pieces = dashed([(0, 0), (8, 0), (8, 24)], [10, 6])
    assert pieces == [((0, 0), (8, 0)), ((8, 0), (8, 2.0)), ((8, 8.0), (8, 18.0))]
    assert dashed([(0, 0), (5, 0)], []) == [((0, 0), (5, 0))]


def test_a_line_drawn_over_an_equal_one_leaves_it_visible(tmp_path) -> None:
    same = [80.0, 117.0, 137.0, 141.0, 142.0]
    chart = Chart(
        "line", "Active users", list("abcde"), {"DAU": [83.0] * 5, "WAU": same, "MAU": same}
    )
    png = render_png(chart, tmp_path / "users.png")
    # the WAU line (second colour) shows between the MAU line's dots, not only in its legend
    assert _pixels_of(png, PALETTE[1]) > 1500
    svg = render_svg(chart)
    assert svg.count("stroke-dasharray") == 4  # WAU and MAU lines and their legend samples


def _report(cohorts: pl.DataFrame, *, productivity: pl.DataFrame | None = None) -> KpiReport:
    days = [date(2026, 11, 27 + k) for k in range(4)]
    table = pl.DataFrame(
        {
            "period": days,
            **{
                name: [1.0] * 4
                for name in (
                    "dau", "wau", "mau", "watch_minutes_per_dau", "play_rate", "long_view_rate",
                    "like_rate", "follow_rate", "hate_rate", "aigc_impression_share",
                    "aigc_watch_share", "aigc_ad_spend_share",
                )
            },
            "watch_ms": [60_000] * 4,
            "gmv_fen": [0] * 4,
            "ads_revenue_fen": [None] * 4,
        }
    )  # fmt: skip
    mix = pl.DataFrame(schema={"period": pl.Date, "kind": pl.String, "watch_share": pl.Float64})
    return KpiReport(table=table, mix=mix, cohorts=cohorts, productivity=productivity)


def test_retention_leaves_out_days_few_early_users_stand_on_and_names_each_base() -> None:
    cohorts = pl.DataFrame(
        {
            "cohort": [date(2026, 11, 27 + k) for k in range(4)],
            "size": [20, 300, 250, 200],
            "d0": [1.0, 1.0, 1.0, 1.0],
            "d1": [0.5, 0.4, 0.4, 0.4],
            "d2": [0.45, 0.35, 0.3, None],
            "d3": [0.6, None, None, None],  # only the small first cohort reaches D3
        }
    )
    curve, bases = retention_curve(cohorts)
    assert bases == [770, 770, 570, 20] and curve[3] == 0.6
    (chart,) = [c for c in report_charts(_report(cohorts)) if "Retention" in c.title]
    assert chart.x_labels == ["D0 n=770", "D1 n=770", "D2 n=570"]
    assert chart.series["加权 weighted"][2] == (20 * 0.45 + 300 * 0.35 + 250 * 0.3) / 570
    # the largest cohorts' own curves, sizes in their names; the small first one is not among them
    assert list(chart.series)[1:] == ["11-28 n=300", "11-29 n=250", "11-30 n=200"]
    assert chart.series["11-30 n=200"] == [1.0, 0.4, None]


def test_weekly_bars_among_daily_charts_say_they_are_weeks() -> None:
    weeks = pl.DataFrame(
        {
            "period": [date(2026, 11, 23), date(2026, 11, 30)],
            "items_per_active_creator": [1.8, 6.9],
            "aigc_assisted_share": [0.0, 0.06],
        }
    )
    cohorts = pl.DataFrame({"cohort": [date(2026, 11, 27)], "size": [5], "d0": [1.0]})
    (chart,) = [
        c for c in report_charts(_report(cohorts, productivity=weeks)) if "creator" in c.title
    ]
    assert "weekly" in chart.title and "每周" in chart.title
    assert chart.x_labels == ["11-23–29", "11-30–12-06"]
    assert period_labels(pl.Series([date(2026, 3, 2)]), "day") == ["03-02"]
