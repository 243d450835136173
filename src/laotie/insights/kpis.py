"""The KPI engine: every KPI of ``insights.kpi_registry`` computed over the event log, once.

Every KPI is a pure function of an events frame (the ``Lake.read()`` schema) and an items
frame (``items_frame()``: id, kind, creator_id, created_at_ms, aigc_status, ...). Days are
local calendar days in a configurable time zone (Asia/Shanghai by default); a week starts on
Monday. Ratio KPIs are a ratio of sums over the period, so a week's play rate is the week's
plays over the week's impressions, not a mean of daily rates. Level KPIs (DAU, WAU, MAU) of
a week or month are the mean of their daily values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from laotie.core.clock import MS_PER_DAY
from laotie.core.errors import InvalidInput
from laotie.core.events import EVENT_NAMES, EVENT_TYPES
from laotie.core.watch import long_view_expr
from laotie.insights.days import (
    DEFAULT_TIMEZONE,
    FrameLike,
    Period,
    check_timezone,
    day_calendar,
    day_filter,
    day_value,
    period_start,
    resolve_range,
    with_local_day,
)
from laotie.insights.fairness import creator_exposure_gini, eligible_creators
from laotie.insights.kpi_registry import COUNT_COLUMNS, KPIS

#: an item is "new" while younger than this at the moment of the impression (24 h)
NEW_ITEM_AGE_MS = MS_PER_DAY
#: event types that do not make a user active (written by the platform, not the user)
SYSTEM_EVENT_TYPES: tuple[str, ...] = ("trust_decision",)
#: item AIGC statuses that count as AIGC content (anything but ``none``)
AIGC_STATUSES: tuple[str, ...] = ("declared", "suspected", "confirmed")
ITEM_KINDS: tuple[str, ...] = ("video", "episode", "chapter", "game", "live")

_EVENT_COLUMNS = ("type", "user_id", "item_id", "ts_ms", "watch_ms", "duration_ms", "amount_fen")


#: the commerce ledger's lines per day that ``kpi_table`` reads (``ledger_lines``)
LEDGER_LINES: tuple[str, ...] = (
    "gifting_revenue_fen",
    "paid_content_revenue_fen",
    "commission_revenue_fen",
    "goods_gmv_fen",
)


def _events(events: FrameLike) -> pl.LazyFrame:
    lazy = events.lazy()
    schema = lazy.collect_schema()
    missing = [c for c in _EVENT_COLUMNS if c not in schema.names()]
    if missing:
        raise InvalidInput(f"events frame lacks columns {missing}", field="events")
    lazy = lazy.select(_EVENT_COLUMNS)
    if schema["type"].is_integer():
        # the lake's Parquet parts store the type as its code (core.events.EVENT_CODES)
        lazy = lazy.with_columns(
            pl.col("type").replace_strict(EVENT_NAMES, return_dtype=pl.Enum(list(EVENT_TYPES)))
        )
    return lazy


def _items(items: FrameLike) -> pl.LazyFrame:
    return items.lazy().select(
        pl.col("id").cast(pl.Int64).alias("item_id"),
        pl.col("kind").cast(pl.String),
        pl.col("creator_id").cast(pl.Int64),
        pl.col("created_at_ms").cast(pl.Int64).alias("item_created_at_ms"),
        pl.col("aigc_status").cast(pl.String).is_in(AIGC_STATUSES).alias("is_aigc"),
    )


@dataclass(frozen=True)
class PreparedEvents:
    """Events read once for several KPI functions: the needed columns with the local ``day``
    and the item's kind, creator, creation time and AIGC flag, plus the active user-days."""

    frame: pl.DataFrame
    user_days: pl.DataFrame
    tz: str


EventsLike = FrameLike | PreparedEvents
_KIND_DTYPE = pl.Enum([*ITEM_KINDS, "unknown"])


def prepare_events(
    events: EventsLike, items: FrameLike, *, tz: str = DEFAULT_TIMEZONE
) -> PreparedEvents:
    """Read ``events`` once (projection only), add the local day and item attributes."""
    if isinstance(events, PreparedEvents):
        if events.tz != tz:
            raise InvalidInput(
                f"events were prepared for {events.tz}, not {tz}", field="tz", limit=events.tz
            )
        return events
    check_timezone(tz)
    frame = (
        with_local_day(_events(events), tz=tz)
        .join(_items(items), on="item_id", how="left")
        .with_columns(pl.col("kind").fill_null("unknown").cast(_KIND_DTYPE))
        .collect()
    )
    user_days = (
        frame.lazy()
        .filter(~pl.col("type").is_in(SYSTEM_EVENT_TYPES))
        .select("user_id", "day")
        .unique()
        .collect()
    )
    return PreparedEvents(frame=frame, user_days=user_days, tz=tz)


def active_user_days(events: EventsLike, *, tz: str = DEFAULT_TIMEZONE) -> pl.DataFrame:
    """Distinct (user_id, day) pairs of active users (any event but platform events)."""
    if isinstance(events, PreparedEvents):
        return prepare_events(events, pl.DataFrame(), tz=tz).user_days
    lazy = _events(events).filter(~pl.col("type").is_in(SYSTEM_EVENT_TYPES))
    return (
        with_local_day(lazy.select("user_id", "ts_ms"), tz=tz)
        .select("user_id", "day")
        .unique()
        .collect()
    )


def rolling_active_users(
    user_days: pl.DataFrame, *, window_days: int, first: date, last: date
) -> pl.DataFrame:
    """Distinct users active in the ``window_days`` days ending on each day (day, users).

    Each user-day adds the user to the windows ending in [d, d + window - 1] that the
    user's previous active day did not already cover; a running sum counts them.
    """
    if window_days < 1:
        raise InvalidInput("window_days must be >= 1", field="window_days", limit=1)
    epoch = pl.lit(date(1970, 1, 1))
    spans = (
        user_days.lazy()
        .with_columns(((pl.col("day") - epoch).dt.total_days()).cast(pl.Int64).alias("d"))
        .sort("user_id", "d")
        .with_columns(pl.col("d").shift(1).over("user_id").alias("prev"))
        .with_columns(
            pl.max_horizontal("d", pl.col("prev") + window_days)
            .fill_null(pl.col("d"))
            .alias("start"),
            (pl.col("d") + window_days).alias("stop"),
        )
    )
    deltas = pl.concat(
        [
            spans.select(pl.col("start").alias("d"), pl.lit(1).alias("delta")),
            spans.select(pl.col("stop").alias("d"), pl.lit(-1).alias("delta")),
        ]
    )
    base = (first - date(1970, 1, 1)).days
    running = (
        deltas.group_by("d")
        .agg(pl.col("delta").sum())
        .sort("d")
        .with_columns(pl.col("delta").cum_sum().alias("users"))
        .collect()
    )
    calendar = pl.DataFrame({"d": pl.int_range(base, base + (last - first).days + 1, eager=True)})
    return calendar.join_asof(running, on="d", strategy="backward").select(
        (pl.lit(first) + pl.duration(days=pl.col("d") - base)).alias("day"),
        pl.col("users").fill_null(0).cast(pl.Int64),
    )


def next_day_retention(
    user_days: pl.DataFrame, *, offset_days: int, last_data_day: date
) -> pl.DataFrame:
    """Per day: ``base`` active users (null when day + offset is past the data) and
    ``retained``, those of them also active ``offset_days`` later."""
    later = user_days.select(
        "user_id",
        (pl.col("day") - pl.duration(days=offset_days)).alias("day"),
        pl.lit(1).alias("back"),
    )
    joined = user_days.join(later, on=["user_id", "day"], how="left")
    observable = pl.col("day") + pl.duration(days=offset_days) <= pl.lit(last_data_day)
    return (
        joined.group_by("day")
        .agg(pl.len().alias("base"), pl.col("back").sum().alias("retained"))
        .with_columns(
            pl.when(observable).then(pl.col("base")).alias("base"),
            pl.when(observable).then(pl.col("retained")).alias("retained"),
        )
    )


def kpi_table(
    events: EventsLike,
    items: FrameLike,
    *,
    tz: str = DEFAULT_TIMEZONE,
    by: Period = "day",
    first_day: date | None = None,
    last_day: date | None = None,
    ad_spend: pl.DataFrame | None = None,
    ledger_lines: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per period from ``first_day`` to ``last_day`` with every KPI in ``KPIS``.

    ``ad_spend`` (from the ads ledger: ``day`` as Date or ISO text, ``spend_fen``,
    ``aigc_spend_fen``) fills the ads revenue KPIs; without it they are empty. ``ledger_lines``
    (from the commerce ledger: ``day`` and the ``LEDGER_LINES`` columns) fills the other
    revenue lines and goods GMV; without it they are empty.

    ``events`` may extend before ``first_day`` (WAU/MAU look back 30 days) and after
    ``last_day`` (D1/D7 retention look ahead); only events inside the range are counted.
    Columns: ``period`` (first day), the ``KPIS`` columns, then the count columns.
    """
    period_start(pl.lit(date(2000, 1, 1)), by)
    prepared = prepare_events(events, items, tz=tz)
    user_days = prepared.user_days
    first, last = resolve_range(user_days, first_day, last_day)
    last_data_day = day_value(user_days["day"].max()) if not user_days.is_empty() else last

    enriched = (
        prepared.frame.lazy()
        .filter(pl.col("day").is_between(first, last))
        .with_columns(period_start(pl.col("day"), by).alias("period"))
    )
    kind = pl.col("type")
    impression = kind == "impression"
    watch = kind == "watch"
    counts = enriched.group_by("period").agg(
        impression.sum().alias("impressions"),
        (kind == "play").sum().alias("plays"),
        pl.col("watch_ms").filter(watch).sum().alias("watch_ms"),
        (watch & long_view_expr()).sum().alias("long_views"),
        (kind == "like").sum().alias("likes"),
        (kind == "follow").sum().alias("follows"),
        (kind == "hate").sum().alias("hates"),
        (impression & pl.col("is_aigc")).sum().alias("aigc_impressions"),
        pl.col("watch_ms").filter(watch & pl.col("is_aigc")).sum().alias("aigc_watch_ms"),
        (impression & (pl.col("ts_ms") - pl.col("item_created_at_ms") < NEW_ITEM_AGE_MS))
        .sum()
        .alias("new_item_impressions"),
        (kind == "ad_impression").sum().alias("ad_impressions"),
        (kind == "ad_click").sum().alias("ad_clicks"),
        (kind == "ad_conversion").sum().alias("ad_conversions"),
        pl.col("amount_fen").filter(kind == "purchase").sum().alias("gmv_fen"),
        pl.col("user_id").filter(kind == "purchase").n_unique().alias("paying_users"),
    )
    exposures = (
        enriched.filter(impression & pl.col("creator_id").is_not_null())
        .group_by("period", "creator_id")
        .agg(pl.len().alias("impressions"))
    )

    calendar = day_calendar(first, last).with_columns(
        period_start(pl.col("day"), by).alias("period")
    )
    periods = calendar.select("period").unique().sort("period")
    period_ends = calendar.group_by("period").agg(pl.col("day").max().alias("end"))
    eligible = eligible_creators(items, period_ends, tz=tz)
    dau = user_days.group_by("day").agg(pl.len().alias("dau"))
    daily = (
        calendar.join(dau, on="day", how="left")
        .join(rolling_active_users(user_days, window_days=7, first=first, last=last), on="day")
        .rename({"users": "wau"})
        .join(rolling_active_users(user_days, window_days=30, first=first, last=last), on="day")
        .rename({"users": "mau"})
        .join(
            next_day_retention(user_days, offset_days=1, last_data_day=last_data_day).rename(
                {"base": "d1_base", "retained": "d1_retained"}
            ),
            on="day",
            how="left",
        )
        .join(
            next_day_retention(user_days, offset_days=7, last_data_day=last_data_day).rename(
                {"base": "d7_base", "retained": "d7_retained"}
            ),
            on="day",
            how="left",
        )
        .with_columns(pl.col("dau").fill_null(0))
    )
    levels = daily.group_by("period").agg(
        pl.col("dau").mean().alias("dau"),
        pl.col("wau").mean().alias("wau"),
        pl.col("mau").mean().alias("mau"),
        pl.col("dau").sum().alias("dau_sum"),
        pl.col("mau").sum().alias("mau_sum"),
        pl.col("d1_base").sum().alias("d1_base"),
        pl.col("d1_retained").sum().alias("d1_retained"),
        pl.col("d7_base").sum().alias("d7_base"),
        pl.col("d7_retained").sum().alias("d7_retained"),
        pl.col("d1_base").is_null().all().alias("d1_missing"),
        pl.col("d7_base").is_null().all().alias("d7_missing"),
    )
    active = (
        user_days.filter(pl.col("day").is_between(first, last))
        .with_columns(period_start(pl.col("day"), by).alias("period"))
        .group_by("period")
        .agg(pl.col("user_id").n_unique().alias("active_users"))
    )
    spend = _ad_spend_by_period(ad_spend, first=first, last=last, by=by)
    lines = _ledger_lines_by_period(ledger_lines, first=first, last=last, by=by)
    table = (
        periods.join(levels, on="period", how="left")
        .join(active, on="period", how="left")
        .join(counts.collect(), on="period", how="left")
        .join(creator_exposure_gini(exposures, eligible), on="period", how="left")
        .join(spend, on="period", how="left")
        .join(lines, on="period", how="left")
        .with_columns(
            pl.col(c).fill_null(0)
            for c in (*COUNT_COLUMNS, "active_users", "paying_users", "ads_revenue_fen")
            if ad_spend is not None or c not in spend.columns
        )
        .with_columns(pl.col(c).fill_null(0) for c in LEDGER_LINES if ledger_lines is not None)
        .with_columns(
            pl.sum_horizontal(
                pl.col(c).fill_null(0)
                for c in (
                    "ads_revenue_fen",
                    "gifting_revenue_fen",
                    "paid_content_revenue_fen",
                    "commission_revenue_fen",
                )
            ).alias("revenue_fen")
        )
        .with_columns(
            pl.when(~pl.col("d1_missing")).then(pl.col("d1_base")).alias("d1_base"),
            pl.when(~pl.col("d7_missing")).then(pl.col("d7_base")).alias("d7_base"),
            pl.when(~pl.col("d1_missing")).then(pl.col("d1_retained")).alias("d1_retained"),
            pl.when(~pl.col("d7_missing")).then(pl.col("d7_retained")).alias("d7_retained"),
            (pl.col("impressions") + pl.col("ad_impressions")).alias("all_impressions"),
            pl.col("creator_exposure_gini").fill_null(0.0),
        )
    )
    ratios = [
        pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den) * kpi.scale).alias(kpi.name)
        for kpi in KPIS.values()
        if kpi.ratio_of is not None
        for num, den in [kpi.ratio_of]
    ]
    table = table.with_columns(ratios)
    extra = [
        c
        for c in (*COUNT_COLUMNS, "d1_base", "d1_retained", "d7_base", "d7_retained")
        if c not in KPIS
    ]
    return table.select("period", *KPIS, *extra).sort("period")


def _ledger_lines_by_period(
    lines: pl.DataFrame | None, *, first: date, last: date, by: Period
) -> pl.DataFrame:
    return _sum_by_period(
        lines, {c: c for c in LEDGER_LINES}, field="ledger_lines", first=first, last=last, by=by
    )


def _ad_spend_by_period(
    ad_spend: pl.DataFrame | None, *, first: date, last: date, by: Period
) -> pl.DataFrame:
    sums = {"spend_fen": "ads_revenue_fen", "aigc_spend_fen": "aigc_ad_spend_fen"}
    return _sum_by_period(ad_spend, sums, field="ad_spend", first=first, last=last, by=by)


def _sum_by_period(
    frame: pl.DataFrame | None,
    sums: dict[str, str],
    *,
    field: str,
    first: date,
    last: date,
    by: Period,
) -> pl.DataFrame:
    """Per period, the sum of each ``sums`` column (renamed to its value) of a ledger frame
    with a ``day`` (Date or ISO text); an empty frame when ``frame`` is None."""
    schema = {"period": pl.Date, **dict.fromkeys(sums.values(), pl.Int64)}
    if frame is None:
        return pl.DataFrame(schema=schema)
    missing = {"day", *sums} - set(frame.columns)
    if missing:
        raise InvalidInput(f"{field} lacks columns {sorted(missing)}", field=field)
    day = pl.col("day")
    if frame.schema["day"] != pl.Date:
        day = day.cast(pl.String).str.to_date("%Y-%m-%d")
    return (
        frame.lazy()
        .with_columns(day.alias("day"))
        .filter(pl.col("day").is_between(first, last))
        .group_by(period_start(pl.col("day"), by).alias("period"))
        .agg(pl.col(source).sum().cast(pl.Int64).alias(name) for source, name in sums.items())
        .collect()
        .match_to_schema(schema)
    )


def kind_mix(
    events: EventsLike,
    items: FrameLike,
    *,
    tz: str = DEFAULT_TIMEZONE,
    by: Period = "day",
    first_day: date | None = None,
    last_day: date | None = None,
) -> pl.DataFrame:
    """Consumption mix by item kind per period: impressions, plays, watch_ms and each one's
    share of the period's total (columns period, kind, impressions, plays, watch_ms,
    impression_share, watch_share), counting events of days in [first_day, last_day] when
    given. Events on unknown items have kind ``unknown``."""
    enriched = (
        prepare_events(events, items, tz=tz)
        .frame.lazy()
        .filter(pl.col("type").is_in(("impression", "play", "watch")))
        .filter(day_filter(first_day, last_day))
        .with_columns(period_start(pl.col("day"), by).alias("period"))
    )
    mix = enriched.group_by("period", "kind").agg(
        (pl.col("type") == "impression").sum().alias("impressions"),
        (pl.col("type") == "play").sum().alias("plays"),
        pl.col("watch_ms").filter(pl.col("type") == "watch").sum().alias("watch_ms"),
    )
    return (
        mix.with_columns(
            (pl.col("impressions") / pl.col("impressions").sum().over("period")).alias(
                "impression_share"
            ),
            (pl.col("watch_ms") / pl.col("watch_ms").sum().over("period")).alias("watch_share"),
        )
        .sort("period", "kind")
        .with_columns(pl.col("kind").cast(pl.String))
        .collect()
    )


def cohort_retention(
    events: EventsLike,
    *,
    tz: str = DEFAULT_TIMEZONE,
    max_offset_days: int = 7,
    first_day: date | None = None,
    last_day: date | None = None,
) -> pl.DataFrame:
    """Cohort retention table: users by first active day in the data (``cohort``), its
    ``size``, and ``d0``..``dN`` = share of the cohort active N local days later (null when
    that day is beyond the data). Only cohorts in [first_day, last_day] are listed; earlier
    data still decides who is new."""
    if max_offset_days < 0:
        raise InvalidInput("max_offset_days must be >= 0", field="max_offset_days", limit=0)
    user_days = active_user_days(events, tz=tz)
    if user_days.is_empty():
        return pl.DataFrame(
            schema={"cohort": pl.Date, "size": pl.UInt32}
            | {f"d{k}": pl.Float64 for k in range(max_offset_days + 1)}
        )
    last = user_days["day"].max()
    firsts = user_days.group_by("user_id").agg(pl.col("day").min().alias("cohort"))
    joined = user_days.join(firsts, on="user_id").with_columns(
        (pl.col("day") - pl.col("cohort")).dt.total_days().alias("offset")
    )
    sizes = (
        firsts.group_by("cohort")
        .agg(pl.len().alias("size"))
        .filter(day_filter(first_day, last_day, "cohort"))
    )
    active = (
        joined.filter(pl.col("offset") <= max_offset_days)
        .group_by("cohort", "offset")
        .agg(pl.len().alias("users"))
    )
    table = sizes.sort("cohort")
    columns = []
    for k in range(max_offset_days + 1):
        at_k = active.filter(pl.col("offset") == k).select("cohort", pl.col("users").alias("u"))
        table = table.join(at_k, on="cohort", how="left").rename({"u": f"_u{k}"})
        observable = pl.col("cohort") + pl.duration(days=k) <= pl.lit(last)
        columns.append(
            pl.when(observable).then(pl.col(f"_u{k}").fill_null(0) / pl.col("size")).alias(f"d{k}")
        )
    return (
        table.with_columns(columns)
        .select("cohort", "size", *(f"d{k}" for k in range(max_offset_days + 1)))
        .sort("cohort")
    )
