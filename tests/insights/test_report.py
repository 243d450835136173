"""Charts and the HTML report: real PNGs and well-formed, self-contained SVG/HTML."""

from __future__ import annotations

import re
import types
import xml.etree.ElementTree as ET

import polars as pl
import pytest
from PIL import Image

import laotie.insights as insights
from laotie.core.errors import InvalidInput
from laotie.insights.charts import Chart, nice_ticks, render_png, render_svg
from laotie.insights.report import build_report, render_html, write_png_charts


def test_public_names_match_all() -> None:
    public = {
        name
        for name, value in vars(insights).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert len(set(insights.__all__)) == len(insights.__all__)  # ruff RUF022 keeps it sorted
    assert set(insights.__all__) == public


def test_nice_ticks_cover_the_top() -> None:
    assert nice_ticks(97) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0.46)[-1] >= 0.46
    assert nice_ticks(0) == [0.0, 1.0]


def test_chart_rejects_mismatched_series() -> None:
    with pytest.raises(InvalidInput) as err:
        Chart("line", "t", ["a", "b"], {"s": [1.0]})
    assert err.value.field == "series"


def test_png_has_the_requested_size_and_is_not_blank(tmp_path) -> None:
    chart = Chart(
        "stacked",
        "消费结构 Consumption mix",
        ["03-01", "03-02"],
        {"短视频 video": [0.6, 0.5], "短剧 episode": [0.4, 0.5]},
        percent=True,
    )
    path = render_png(chart, tmp_path / "mix.png", scale=1)
    image = Image.open(path)
    assert image.size == (960, 480)
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 20  # text, bars and grid, not a blank page


def test_svg_is_well_formed_with_gaps_for_missing_values() -> None:
    chart = Chart("line", "留存 D1 & D7", ["a", "b", "c"], {"D1": [0.5, None, 0.4]}, percent=True)
    svg = render_svg(chart)
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert "留存 D1 &amp; D7" in svg
    assert svg.count("<circle") == 2  # the missing value is not drawn


def test_html_report_is_self_contained(events, items, tmp_path) -> None:
    report = build_report(events, items)
    page = render_html(report, generated_at_ms=0)
    assert page.count("<svg") == len(insights.report_charts(report))
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)""", page))
    assert not urls  # no external scripts, styles or images
    assert "http://www.w3.org/2000/svg" in page
    assert "次日留存" in page and "Asia/Shanghai" in page
    paths = write_png_charts(report, tmp_path / "png")
    assert [p.name for p in paths][:2] == ["01_active_users.png", "02_watch_time.png"]
    assert all(Image.open(p).format == "PNG" for p in paths)


def test_report_accepts_lake_enum_types(events, items) -> None:
    from laotie.core.events import EVENT_TYPES

    typed = events.with_columns(pl.col("type").cast(pl.Enum(list(EVENT_TYPES))))
    assert build_report(typed, items).table["dau"].to_list() == [2, 3]
