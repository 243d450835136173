"""KPIs against values computed by hand on the fixture world of conftest.py."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from laotie.core.errors import InvalidInput
from laotie.insights.fairness import gini
from laotie.insights.kpi_registry import KPIS, kpi_reference_markdown
from laotie.insights.kpis import (
    cohort_retention,
    kind_mix,
    kpi_table,
)

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def row(table: pl.DataFrame, day: date) -> dict:
    return table.filter(pl.col("period") == day).row(0, named=True)


def test_daily_kpis_match_hand_computed_values(events, items) -> None:
    table = kpi_table(events, items, tz="Asia/Shanghai")
    assert table["period"].to_list() == [D1, D2]
    day1, day2 = row(table, D1), row(table, D2)
    # user 99 only has a platform event; user 1 on two devices counts once
    assert day1["dau"] == 2
    assert day2["dau"] == 3
    assert (day1["wau"], day1["mau"], day2["wau"], day2["mau"]) == (2, 2, 3, 3)
    assert day1["dau_mau"] == 1.0
    assert day1["impressions"] == 3
    assert day1["plays"] == 2
    assert day1["watch_ms"] == 35_000
    assert day1["long_views"] == 2
    assert day1["watch_minutes_per_dau"] == pytest.approx(35_000 / 60_000 / 2)
    assert day1["plays_per_dau"] == 1.0
    assert day1["play_rate"] == pytest.approx(2 / 3)
    assert day1["long_view_rate"] == pytest.approx(2 / 3)
    assert day1["like_rate"] == pytest.approx(1 / 3)
    assert day1["hate_rate"] == pytest.approx(1 / 3)
    assert day1["follow_rate"] == 0.0
    assert day1["aigc_impression_share"] == pytest.approx(1 / 3)
    assert day1["aigc_watch_share"] == pytest.approx(4 / 7)
    assert day1["new_item_exposure_share"] == pytest.approx(1 / 3)
    assert day1["creator_exposure_gini"] == pytest.approx(4 / 9)
    assert day1["d1_retention"] == 1.0
    assert day1["d7_retention"] is None
    assert day1["ad_ctr"] is None
    assert day1["gmv_fen"] == 0

    assert day2["impressions"] == 2
    assert day2["long_views"] == 1
    assert day2["follow_rate"] == pytest.approx(1 / 2)
    assert day2["new_item_exposure_share"] == 0.0
    assert day2["creator_exposure_gini"] == pytest.approx(1 / 3)
    assert day2["d1_retention"] is None
    assert day2["ad_ctr"] == 1.0
    assert day2["ad_load"] == pytest.approx(1 / 3)
    assert day2["gmv_fen"] == 600
    assert day2["paying_users"] == 1


def test_day_boundary_depends_on_the_time_zone(events, items) -> None:
    utc = kpi_table(events, items, tz="UTC")
    # In UTC user 3's local-midnight impression (16:00Z) falls on 2026-03-02.
    assert row(utc, D1)["dau"] == 3
    assert row(utc, D1)["impressions"] == 4


def test_week_aggregates_are_ratios_of_sums(events, items) -> None:
    table = kpi_table(events, items, by="week")
    assert table.height == 1
    week = table.row(0, named=True)
    assert week["period"] == D1  # Monday
    assert week["dau"] == 2.5
    assert week["active_users"] == 3
    assert week["play_rate"] == pytest.approx(3 / 5)
    assert week["watch_minutes_per_dau"] == pytest.approx(62_000 / 60_000 / 5)
    assert week["creator_exposure_gini"] == pytest.approx(0.4)
    assert week["d1_retention"] == 1.0


def test_range_limits_counts_but_keeps_lookback(events, items) -> None:
    table = kpi_table(events, items, first_day=D2, last_day=D2)
    day2 = table.row(0, named=True)
    assert table.height == 1
    assert day2["impressions"] == 2
    assert day2["wau"] == 3  # users of the day before still count in the window


def test_empty_days_inside_the_range_are_zero(events, items) -> None:
    table = kpi_table(events, items, first_day=D1, last_day=date(2026, 3, 5))
    assert table.height == 4
    last = row(table, date(2026, 3, 5))
    assert last["dau"] == 0
    assert last["wau"] == 3
    assert last["play_rate"] is None


def test_kind_mix(events, items) -> None:
    mix = kind_mix(events, items).filter(pl.col("period") == D1)
    by_kind = {r["kind"]: r for r in mix.iter_rows(named=True)}
    assert by_kind["video"]["impressions"] == 2
    assert by_kind["episode"]["watch_ms"] == 20_000
    assert by_kind["video"]["watch_share"] == pytest.approx(15 / 35)


def test_cohort_retention(events) -> None:
    table = cohort_retention(events, max_offset_days=1)
    assert table.rows() == [(D1, 2, 1.0, 1.0), (D2, 1, 1.0, None)]


def test_gini_reference_values() -> None:
    assert gini([1, 1, 1]) == 0.0
    assert gini([0, 0, 5]) == pytest.approx(2 / 3)
    assert gini([]) == 0.0


def test_bad_options_are_invalid_input(events, items) -> None:
    with pytest.raises(InvalidInput) as err:
        kpi_table(events, items, tz="Mars/Olympus")
    assert err.value.field == "tz"
    with pytest.raises(InvalidInput) as err:
        kpi_table(events, items, by="year")  # type: ignore[arg-type]
    assert err.value.field == "by"
    with pytest.raises(InvalidInput):
        kpi_table(events, items, first_day=D2, last_day=D1)


def test_every_kpi_is_documented() -> None:
    for kpi in KPIS.values():
        assert kpi.definition and kpi.label_zh and kpi.unit


def test_revenue_by_line_and_arpu(events, items) -> None:
    spend = pl.DataFrame(
        {"day": ["2026-03-02", "2026-03-03"], "spend_fen": [1_000, 400], "aigc_spend_fen": [250, 0]}
    )
    table = kpi_table(events, items, ad_spend=spend)
    day1, day2 = row(table, D1), row(table, D2)
    assert day1["ads_revenue_fen"] == 1_000
    assert day1["revenue_fen"] == 1_000
    assert day1["arpu_fen"] == 500.0  # 1,000 fen over 2 active users
    assert day1["aigc_ad_spend_share"] == 0.25
    assert day2["revenue_fen"] == 400  # purchases are not the platform's revenue
    assert day2["arpu_fen"] == pytest.approx(400 / 3)
    assert day2["arppu_fen"] == 600.0
    assert day2["aigc_ad_spend_share"] == 0.0
    assert day2["goods_gmv_fen"] is None  # no commerce ledger
    week = kpi_table(events, items, by="week", ad_spend=spend).row(0, named=True)
    assert week["revenue_fen"] == 1_400
    assert week["arpu_fen"] == pytest.approx(1_400 / 3)
    assert week["aigc_ad_spend_share"] == pytest.approx(250 / 1_400)


def test_without_an_ads_ledger_ads_revenue_is_empty(events, items) -> None:
    day2 = row(kpi_table(events, items), D2)
    assert day2["ads_revenue_fen"] is None
    assert day2["aigc_ad_spend_share"] is None
    assert day2["revenue_fen"] == 0


def test_revenue_counts_the_platforms_share_from_the_commerce_ledger(events, items) -> None:
    spend = pl.DataFrame({"day": ["2026-03-03"], "spend_fen": [400], "aigc_spend_fen": [0]})
    lines = pl.DataFrame(
        {
            "day": ["2026-03-02", "2026-03-03", "2026-03-03"],
            "gifting_revenue_fen": [50, 25, 0],
            "paid_content_revenue_fen": [9, 0, 3],
            "commission_revenue_fen": [0, 126, 0],
            "goods_gmv_fen": [0, 10_000, 0],
        }
    )
    table = kpi_table(events, items, ad_spend=spend, ledger_lines=lines)
    day1, day2 = row(table, D1), row(table, D2)
    assert day1["revenue_fen"] == 59 and day1["goods_gmv_fen"] == 0
    assert (day2["gifting_revenue_fen"], day2["paid_content_revenue_fen"]) == (25, 3)
    assert day2["revenue_fen"] == 400 + 25 + 3 + 126  # goods count by their commission
    assert day2["goods_gmv_fen"] == 10_000 and day2["gmv_fen"] == 600
    week = kpi_table(events, items, by="week", ad_spend=spend, ledger_lines=lines)
    assert week.row(0, named=True)["revenue_fen"] == 59 + 554
    with pytest.raises(InvalidInput) as caught:
        kpi_table(events, items, ledger_lines=lines.drop("goods_gmv_fen"))
    assert caught.value.field == "ledger_lines"


def test_creator_productivity_by_week(items) -> None:
    from laotie.insights.creators import creator_productivity

    table = creator_productivity(items, by="week")
    rows = {r["period"]: r for r in table.iter_rows(named=True)}
    # items 2 and 4 were created 2026-01-01 (a Thursday: week of 2025-12-29)
    january = rows[date(2025, 12, 29)]
    assert (january["items_created"], january["active_creators"]) == (2, 2)
    assert january["aigc_assisted_share"] == 1.0  # item 2 confirmed, item 4 declared
    # item 1: 2026-03-01 (Sunday, week of 02-23); item 3: 2026-03-02 (Monday, week of 03-02)
    assert rows[date(2026, 2, 23)]["items_created"] == 1
    assert rows[date(2026, 3, 2)]["items_per_active_creator"] == 1.0
    assert rows[date(2026, 3, 2)]["aigc_items"] == 0


def test_docs_carry_the_generated_definitions() -> None:
    from pathlib import Path

    from laotie.insights.creators import PRODUCTIVITY_DEFINITIONS

    docs = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"
    text = docs.read_text(encoding="utf-8")
    assert kpi_reference_markdown() in text, "regenerate the KPI reference in docs/kpis.md"
    for definition in PRODUCTIVITY_DEFINITIONS.values():
        assert definition in text


def test_range_limits_kind_mix_and_cohorts_but_not_who_is_new(events, items) -> None:
    mix = kind_mix(events, items, by="week", first_day=D2, last_day=D2)
    assert mix["impressions"].sum() == 2  # day-1 impressions are outside the range
    cohorts = cohort_retention(events, max_offset_days=0, first_day=D2, last_day=D2)
    assert cohorts.rows() == [(D2, 1, 1.0)]  # only user 3 is new on day 2


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "America/New_York", "Europe/London", "UTC"])
def test_local_day_matches_a_time_zone_conversion_across_dst(tz) -> None:
    from laotie.insights.days import with_local_day

    start = 1_772_000_000_000  # 2026-02-25, before the March DST changes
    ts = pl.DataFrame({"ts_ms": list(range(start, start + 40 * 86_400_000, 3_600_000 + 7))})
    ours = with_local_day(ts, tz=tz).collect()["day"]
    expected = ts.select(
        pl.from_epoch("ts_ms", time_unit="ms")
        .dt.replace_time_zone("UTC")
        .dt.convert_time_zone(tz)
        .dt.date()
    ).to_series()
    assert ours.to_list() == expected.to_list()


def test_lake_type_codes_are_understood(events, items) -> None:
    from laotie.core.events import EVENT_CODES

    coded = events.with_columns(pl.col("type").replace_strict(EVENT_CODES, return_dtype=pl.Int16))
    assert kpi_table(coded, items).equals(kpi_table(events, items))
