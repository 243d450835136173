"""The insights service: KPI reports over the lake and catalog (plus the ads ledger when
wired), and the team watch-time programme."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl

from laotie.core.clock import MS_PER_DAY, Clock
from laotie.core.errors import InvalidInput
from laotie.insights.creators import creator_productivity
from laotie.insights.days import Period, day_of_ms, day_range_ms
from laotie.insights.digest import SmtpConfig
from laotie.insights.item_stats import ItemStats, item_stats
from laotie.insights.kpis import LEDGER_LINES
from laotie.insights.report import KpiReport, build_report
from laotie.insights.teams import TeamProgramme
from laotie.store.db import Database
from laotie.store.lake import Lake
from laotie.store.repos import catalog, catalog_frames

#: days read before the range (MAU looks back 30 days) and after it (D7 retention)
LOOKBACK_DAYS = 29
LOOKAHEAD_DAYS = 7
#: the widest report one request may ask for
MAX_REPORT_DAYS = 731

#: the ads ledger's per-day spend: called with start_day/end_day ISO strings, returns rows
#: with ``day``, ``spend_fen`` and ``aigc_spend_fen`` (``laotie.ads.AdsService.aigc_share``)
AdSpendSource = Callable[..., Sequence[Any]]


#: ``(start_day=, end_day=)`` -> rows (mappings) with ``day`` and ``kpis.LEDGER_LINES``
#: (``laotie.commerce.CommerceService.revenue_by_day``)
RevenueLinesSource = Callable[..., Sequence[Mapping[str, Any]]]


class InsightsService:
    """KPI reports and the team programme on one store."""

    def __init__(
        self,
        db: Database,
        lake: Lake,
        clock: Clock,
        *,
        tz: str,
        smtp: SmtpConfig | None = None,
        ad_spend: AdSpendSource | None = None,
    ) -> None:
        self.db = db
        self.lake = lake
        self.clock = clock
        self.tz = tz
        self.ad_spend = ad_spend
        self.revenue_lines: RevenueLinesSource | None = None
        self.programme = TeamProgramme(db, lake, clock, tz=tz, smtp=smtp)

    def today(self) -> date:
        """The current local day."""
        return day_of_ms(self.clock.now_ms(), tz=self.tz)

    def kpi_report(
        self,
        *,
        first_day: date | None = None,
        last_day: date | None = None,
        by: Period = "day",
        title: str = "laotie KPI 报告 KPI report",
    ) -> KpiReport:
        """The KPI report for local days ``first_day``..``last_day`` (default: the last 30
        days up to yesterday, from the first day with events when the data is younger),
        reading the lookback/lookahead that WAU/MAU/retention need."""
        last_day = last_day or self.today() - timedelta(days=1)
        if first_day is None:
            first_day = last_day - timedelta(days=29)
            first_seen = self.first_event_day(first_day=first_day, last_day=last_day)
            first_day = max(first_day, first_seen or first_day)
        if last_day < first_day:
            raise InvalidInput("--to is before --from", field="to", limit=str(first_day))
        if (last_day - first_day).days + 1 > MAX_REPORT_DAYS:
            raise InvalidInput(
                f"a report covers at most {MAX_REPORT_DAYS} days", field="to", limit=MAX_REPORT_DAYS
            )
        start_ms, end_ms = day_range_ms(
            first_day - timedelta(days=LOOKBACK_DAYS),
            last_day + timedelta(days=LOOKAHEAD_DAYS),
            tz=self.tz,
        )
        events = self.lake.scan(start_ms=start_ms, end_ms=end_ms)
        with self.db.session() as session:
            items = catalog_frames.items_frame(session)
        return build_report(
            events,
            items,
            tz=self.tz,
            by=by,
            first_day=first_day,
            last_day=last_day,
            title=title,
            ad_spend=self.ad_spend_frame(first_day=first_day, last_day=last_day),
            ledger_lines=self.ledger_lines_frame(first_day=first_day, last_day=last_day),
            productivity=creator_productivity(
                items,
                tz=self.tz,
                by="week" if by == "day" else by,
                first_day=first_day,
                last_day=last_day,
            ),
        )

    def item_stats(self, item_id: str, *, days: int = 30) -> ItemStats:
        """An item's engagement over the last ``days`` days (NotFound for an unknown item)."""
        if not 1 <= days <= MAX_REPORT_DAYS:
            raise InvalidInput(
                f"days must be 1..{MAX_REPORT_DAYS}", field="days", limit=MAX_REPORT_DAYS
            )
        with self.db.session() as session:
            item_pk = catalog.get_item(session, external_id=item_id).id
        end_ms = self.clock.now_ms() + 1
        start_ms = end_ms - days * MS_PER_DAY
        return item_stats(
            self.lake.scan(start_ms=start_ms, end_ms=end_ms),
            item_pk=item_pk,
            item_id=item_id,
            start_ms=start_ms,
            end_ms=end_ms,
        )

    def first_event_day(self, *, first_day: date, last_day: date) -> date | None:
        """The first local day in ``first_day``..``last_day`` with any event, or None."""
        start_ms, end_ms = day_range_ms(first_day, last_day, tz=self.tz)
        first_ms = self.lake.scan(start_ms=start_ms, end_ms=end_ms).select(pl.col("ts_ms").min())
        value = first_ms.collect().item()
        return None if value is None else day_of_ms(int(value), tz=self.tz)

    def attach_revenue_lines(self, source: RevenueLinesSource | None) -> None:
        """Read the commerce ledger's revenue lines per day from ``source``."""
        self.revenue_lines = source

    def ledger_lines_frame(self, *, first_day: date, last_day: date) -> pl.DataFrame | None:
        """Per-day gifting, paid-content and commission revenue and goods GMV, if wired."""
        if self.revenue_lines is None:
            return None
        rows = self.revenue_lines(start_day=first_day.isoformat(), end_day=last_day.isoformat())
        schema = {"day": pl.String, **dict.fromkeys(LEDGER_LINES, pl.Int64)}
        return pl.DataFrame({name: [r[name] for r in rows] for name in schema}, schema=schema)

    def ad_spend_frame(self, *, first_day: date, last_day: date) -> pl.DataFrame | None:
        """Per-day ad spend and AIGC creatives' spend from the ads ledger, if wired."""
        if self.ad_spend is None:
            return None
        rows = self.ad_spend(start_day=first_day.isoformat(), end_day=last_day.isoformat())
        return pl.DataFrame(
            {
                "day": [str(r.day) for r in rows],
                "spend_fen": [int(r.spend_fen) for r in rows],
                "aigc_spend_fen": [int(r.aigc_spend_fen) for r in rows],
            },
            schema={"day": pl.String, "spend_fen": pl.Int64, "aigc_spend_fen": pl.Int64},
        )
