"""KPI definitions and their computation over the event log, each written once.

Every KPI is a pure function of an events frame (the ``Lake.read()`` schema) and an items
frame (``items_frame()``: id, kind, creator_id, created_at_ms, aigc_status, ...). Days are
local calendar days in a configurable time zone (Asia/Shanghai by default); a week starts on
Monday. Ratio KPIs are a ratio of sums over the period, so a week's play rate is the week's
plays over the week's impressions, not a mean of daily rates. Level KPIs (DAU, WAU, MAU) of
a week or month are the mean of their daily values. ``KPIS`` holds the documented definition
of each; ``docs/kpis.md`` is generated from it by ``kpi_reference_markdown()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE
from laotie.core.errors import InvalidInput
from laotie.core.events import EVENT_NAMES, EVENT_TYPES
from laotie.core.watch import long_view_expr

FrameLike = pl.DataFrame | pl.LazyFrame
Period = Literal["day", "week", "month"]
PERIODS: tuple[Period, ...] = ("day", "week", "month")

DEFAULT_TIMEZONE = "Asia/Shanghai"
#: an item is "new" while younger than this at the moment of the impression (24 h)
NEW_ITEM_AGE_MS = MS_PER_DAY
#: event types that do not make a user active (written by the platform, not the user)
SYSTEM_EVENT_TYPES: tuple[str, ...] = ("trust_decision",)
#: item AIGC statuses that count as AIGC content (anything but ``none``)
AIGC_STATUSES: tuple[str, ...] = ("declared", "suspected", "confirmed")
ITEM_KINDS: tuple[str, ...] = ("video", "episode", "chapter", "game", "live")

_EVENT_COLUMNS = ("type", "user_id", "item_id", "ts_ms", "watch_ms", "duration_ms", "amount_fen")


@dataclass(frozen=True)
class Kpi:
    """One KPI: its column name, labels, unit and the one definition that documents it."""

    name: str
    label_en: str
    label_zh: str
    unit: str
    definition: str
    #: for ratio KPIs, the count columns (numerator, denominator) summed over the period
    ratio_of: tuple[str, str] | None = None
    #: multiply the ratio by this (e.g. ms -> minutes)
    scale: float = 1.0
    #: a column header short enough for a terminal table at 80 columns
    short: str = field(kw_only=True)


KPIS: dict[str, Kpi] = {
    k.name: k
    for k in (
        Kpi(
            "dau",
            "DAU",
            "日活跃用户",
            "users",
            "Distinct users with at least one event other than a platform event "
            "(trust_decision) in the local day; a user on two devices counts once. "
            "For a week or month: the mean of the daily values.",
            short="DAU",
        ),
        Kpi(
            "wau",
            "WAU",
            "周活跃用户",
            "users",
            "Distinct active users in the 7 local days ending on the day (truncated at the "
            "start of the data). For a week or month: the mean of the daily values.",
            short="WAU",
        ),
        Kpi(
            "mau",
            "MAU",
            "月活跃用户",
            "users",
            "Distinct active users in the 30 local days ending on the day (truncated at the "
            "start of the data). For a week or month: the mean of the daily values.",
            short="MAU",
        ),
        Kpi(
            "dau_mau",
            "DAU/MAU",
            "日活/月活",
            "ratio",
            "Stickiness: DAU divided by MAU of the same day; for a period, mean DAU over mean MAU.",
            ratio_of=("dau_sum", "mau_sum"),
            short="DAU/MAU",
        ),
        Kpi(
            "active_users",
            "Active users in period",
            "周期内活跃用户",
            "users",
            "Distinct active users over the whole period (equals DAU for a day).",
            short="active",
        ),
        Kpi(
            "watch_minutes_per_dau",
            "Watch minutes per DAU",
            "人均观看分钟",
            "minutes",
            "Sum of watch_ms of watch events, in minutes, divided by DAU (for a period: by "
            "the sum of daily DAU, i.e. per user-day).",
            ratio_of=("watch_ms", "dau_sum"),
            scale=1 / MS_PER_MINUTE,
            short="min/DAU",
        ),
        Kpi(
            "plays_per_dau",
            "Plays per DAU",
            "人均播放",
            "plays",
            "Number of play events (valid plays, KuaiRand is_click) divided by DAU (for a "
            "period: by the sum of daily DAU).",
            ratio_of=("plays", "dau_sum"),
            short="plays/DAU",
        ),
        Kpi(
            "play_rate",
            "Play rate",
            "播放率",
            "ratio",
            "Play events over impression events (KuaiRand is_click averaged over impressions).",
            ratio_of=("plays", "impressions"),
            short="play",
        ),
        Kpi(
            "long_view_rate",
            "Long-view rate",
            "长播率",
            "ratio",
            "Long views over impressions. A long view is a watch event whose watch_ms >= "
            "duration_ms when duration_ms <= 18 s, else watch_ms >= 18 s (KuaiRand long_view).",
            ratio_of=("long_views", "impressions"),
            short="long view",
        ),
        Kpi(
            "like_rate",
            "Like rate",
            "点赞率",
            "ratio",
            "Like events over impressions.",
            ratio_of=("likes", "impressions"),
            short="like",
        ),
        Kpi(
            "follow_rate",
            "Follow rate",
            "关注率",
            "ratio",
            "Follow events over impressions.",
            ratio_of=("follows", "impressions"),
            short="follow",
        ),
        Kpi(
            "hate_rate",
            "Hate rate",
            "负反馈率",
            "ratio",
            "Hate ('not interested') events over impressions.",
            ratio_of=("hates", "impressions"),
            short="hate",
        ),
        Kpi(
            "d1_retention",
            "D1 retention",
            "次日留存",
            "ratio",
            "Of the users active on the day, the share also active on the next local day; "
            "empty when the next day is beyond the data. For a period: retained users summed "
            "over days divided by active users summed over the days that have a next day.",
            ratio_of=("d1_retained", "d1_base"),
            short="D1",
        ),
        Kpi(
            "d7_retention",
            "D7 retention",
            "7日留存",
            "ratio",
            "Of the users active on the day, the share also active exactly 7 local days later; "
            "empty when that day is beyond the data.",
            ratio_of=("d7_retained", "d7_base"),
            short="D7",
        ),
        Kpi(
            "aigc_impression_share",
            "AIGC share of impressions",
            "AIGC曝光占比",
            "ratio",
            "Impressions of items whose aigc_status is declared, suspected or confirmed, over "
            "all impressions.",
            ratio_of=("aigc_impressions", "impressions"),
            short="AIGC impr.",
        ),
        Kpi(
            "aigc_watch_share",
            "AIGC share of watch time",
            "AIGC观看时长占比",
            "ratio",
            "watch_ms of watch events on AIGC items (as above) over all watch_ms.",
            ratio_of=("aigc_watch_ms", "watch_ms"),
            short="AIGC watch",
        ),
        Kpi(
            "creator_exposure_gini",
            "Creator exposure Gini",
            "创作者曝光基尼系数",
            "0..1",
            "Gini coefficient of impressions per creator over the period, over every creator "
            "with an item created by the end of the period (creators with no impression count "
            "as 0): sum_i sum_j |x_i - x_j| / (2 n^2 mean). 0 = equal exposure.",
            short="creator Gini",
        ),
        Kpi(
            "new_item_exposure_share",
            "New-item exposure share",
            "新内容曝光占比",
            "ratio",
            "Impressions of items younger than 24 h at the moment of the impression "
            "(ts_ms - created_at_ms < 24 h), over all impressions.",
            ratio_of=("new_item_impressions", "impressions"),
            short="new items",
        ),
        Kpi(
            "ad_ctr",
            "Ad CTR",
            "广告点击率",
            "ratio",
            "ad_click events over ad_impression events.",
            ratio_of=("ad_clicks", "ad_impressions"),
            short="ad CTR",
        ),
        Kpi(
            "ad_cvr",
            "Ad CVR",
            "广告转化率",
            "ratio",
            "ad_conversion events over ad_click events.",
            ratio_of=("ad_conversions", "ad_clicks"),
            short="ad CVR",
        ),
        Kpi(
            "ad_load",
            "Ad load",
            "广告加载率",
            "ratio",
            "ad_impression events over all impressions (organic impressions plus ad impressions).",
            ratio_of=("ad_impressions", "all_impressions"),
            short="ad load",
        ),
        Kpi(
            "gmv_fen",
            "Paid amount",
            "用户付费额",
            "fen",
            "Sum of amount_fen of purchase events (integer fen): goods orders, live gifts and paid "
            "unlocks alike, before refunds. Goods-only GMV net of refunds is the ledger's "
            "(`laotie commerce summary`).",
            short="paid",
        ),
        Kpi(
            "paying_users",
            "Paying users",
            "付费用户",
            "users",
            "Distinct users with a purchase event in the period.",
            short="paying",
        ),
        Kpi(
            "ads_revenue_fen",
            "Ads revenue",
            "广告收入",
            "fen",
            "Advertiser spend charged in the ads ledger on the local day (integer fen); empty "
            "when no ads ledger is wired.",
            short="ads rev.",
        ),
        Kpi(
            "gifting_revenue_fen",
            "Live gifting revenue",
            "直播打赏收入",
            "fen",
            "The platform's share of live gifts, net of gift refunds: the ledger's gifting "
            "revenue account on the local day (empty when no commerce ledger is wired).",
            short="gifting rev.",
        ),
        Kpi(
            "paid_content_revenue_fen",
            "Paid content revenue",
            "付费内容收入",
            "fen",
            "The platform's share of coin unlocks of paid episodes: the ledger's paid-content "
            "revenue account on the local day (empty when no commerce ledger is wired).",
            short="content rev.",
        ),
        Kpi(
            "commission_revenue_fen",
            "E-commerce commission",
            "电商佣金收入",
            "fen",
            "Commission the platform keeps on paid orders, net of refunds: the ledger's "
            "commission revenue account on the local day (empty when no commerce ledger).",
            short="commission",
        ),
        Kpi(
            "goods_gmv_fen",
            "GMV (goods)",
            "电商GMV",
            "fen",
            "Paid goods orders at their full amount, net of refunds, from the ledger's order "
            "journals on the local day (empty when no commerce ledger is wired).",
            short="GMV",
        ),
        Kpi(
            "revenue_fen",
            "Revenue",
            "总收入",
            "fen",
            "The platform's revenue by line summed: ads revenue plus its share of live gifting, "
            "paid content and e-commerce commission, from the ledgers (a line not wired counts "
            "0); goods count by their commission, never at their full amount.",
            short="revenue",
        ),
        Kpi(
            "arpu_fen",
            "ARPU",
            "每用户平均收入",
            "fen",
            "revenue_fen over active users of the period (distinct users; DAU for a day).",
            ratio_of=("revenue_fen", "active_users"),
            short="ARPU",
        ),
        Kpi(
            "arppu_fen",
            "ARPPU",
            "每付费用户平均收入",
            "fen",
            "gmv_fen over paying users of the period.",
            ratio_of=("gmv_fen", "paying_users"),
            short="ARPPU",
        ),
        Kpi(
            "aigc_ad_spend_share",
            "AIGC share of ad spend",
            "AIGC素材消耗占比",
            "ratio",
            "Ads-ledger spend on creatives marked AIGC over all ad spend of the period.",
            ratio_of=("aigc_ad_spend_fen", "ads_revenue_fen"),
            short="AIGC ad spend",
        ),
    )
}

#: count columns summed per period; ratio KPIs are built from them
COUNT_COLUMNS: tuple[str, ...] = (
    "impressions",
    "plays",
    "watch_ms",
    "long_views",
    "likes",
    "follows",
    "hates",
    "aigc_impressions",
    "aigc_watch_ms",
    "new_item_impressions",
    "ad_impressions",
    "ad_clicks",
    "ad_conversions",
    "gmv_fen",
    "aigc_ad_spend_fen",
)
#: the commerce ledger's lines per day that ``kpi_table`` reads (``ledger_lines``)
LEDGER_LINES: tuple[str, ...] = (
    "gifting_revenue_fen",
    "paid_content_revenue_fen",
    "commission_revenue_fen",
    "goods_gmv_fen",
)


def check_timezone(tz: str) -> str:
    """``tz`` if it names an IANA time zone, else ``InvalidInput``."""
    try:
        ZoneInfo(tz)
    except (ValueError, KeyError) as exc:
        raise InvalidInput(f"unknown time zone {tz!r}", field="tz", limit="IANA name") from exc
    return tz


def local_day_starts_ms(first: date, last: date, *, tz: str) -> list[int]:
    """Epoch ms of local midnight in ``tz`` of every day from ``first`` to ``last + 1``."""
    zone = ZoneInfo(check_timezone(tz))
    days = (last - first).days + 2
    return [
        int(datetime.combine(first + timedelta(days=i), datetime.min.time(), zone).timestamp())
        * 1000
        for i in range(days)
    ]


def day_of_ms(ms: int, *, tz: str = DEFAULT_TIMEZONE) -> date:
    """The local date in ``tz`` that contains epoch ms ``ms``."""
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(check_timezone(tz))).date()


def day_range_ms(first: date, last: date, *, tz: str = DEFAULT_TIMEZONE) -> tuple[int, int]:
    """[start, end) epoch ms covering local days ``first`` .. ``last`` in ``tz``."""
    starts = local_day_starts_ms(first, last, tz=tz)
    return starts[0], starts[-1]


def with_local_day(
    frame: FrameLike, *, tz: str = DEFAULT_TIMEZONE, column: str = "ts_ms"
) -> pl.LazyFrame:
    """``frame`` (lazy) with a ``day`` Date column: the local day of ``column`` in ``tz``.

    Uses the true local midnights of the covered days (so DST zones are right), found by a
    binary search instead of a per-row time-zone conversion.
    """
    lazy = frame.lazy()
    bounds = lazy.select(pl.col(column).min().alias("lo"), pl.col(column).max().alias("hi"))
    lo, hi = bounds.collect().row(0)
    if lo is None:
        return lazy.with_columns(pl.lit(None, dtype=pl.Date).alias("day"))
    first = day_of_ms(lo, tz=tz)
    starts = local_day_starts_ms(first, day_of_ms(hi, tz=tz), tz=tz)
    index = (
        pl.lit(pl.Series(starts, dtype=pl.Int64))
        .search_sorted(pl.col(column), side="right")
        .cast(pl.Int32)
        - 1
    )
    return lazy.with_columns((pl.lit(first) + pl.duration(days=index)).alias("day"))


def period_start(day: pl.Expr, by: Period) -> pl.Expr:
    """The first day of the day/week (Monday)/month that contains ``day``."""
    if by == "day":
        return day
    if by == "week":
        return day.dt.truncate("1w")
    if by == "month":
        return day.dt.truncate("1mo")
    raise InvalidInput(f"unknown period {by!r}", field="by", limit="day|week|month")


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


def _calendar(first: date, last: date) -> pl.DataFrame:
    return pl.DataFrame({"day": pl.date_range(first, last, "1d", eager=True)})


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


def gini(values: list[int] | list[float]) -> float:
    """Gini coefficient of non-negative ``values`` (0 = equal, -> 1 = concentrated)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n


def creator_exposure_gini(exposures: pl.LazyFrame, eligible: pl.DataFrame) -> pl.DataFrame:
    """Gini of impressions per creator per ``period`` from (period, creator_id, impressions)
    and (period, creators) = number of creators eligible by the period's end."""
    ranked = (
        exposures.filter(pl.col("impressions") > 0)
        .with_columns(
            pl.col("impressions").rank("ordinal").over("period").alias("rank"),
            pl.len().over("period").alias("k"),
        )
        .collect()
        .join(eligible, on="period", how="left")
        .with_columns(pl.max_horizontal(pl.col("creators").fill_null(0), pl.col("k")).alias("n"))
    )
    # Zeros sort first, so the i-th smallest non-zero value has rank n - k + i among n.
    return ranked.group_by("period").agg(
        (
            2
            * ((pl.col("n") - pl.col("k") + pl.col("rank")) * pl.col("impressions")).sum()
            / (pl.col("n").first() * pl.col("impressions").sum())
            - (pl.col("n").first() + 1) / pl.col("n").first()
        ).alias("creator_exposure_gini")
    )


def _day_value(value: object) -> date:
    if not isinstance(value, date):
        raise InvalidInput("expected a day", field="day")
    return value


def _resolve_range(
    user_days: pl.DataFrame, first: date | None, last: date | None
) -> tuple[date, date]:
    if first is None or last is None:
        if user_days.is_empty():
            raise InvalidInput("no events in range and no --from/--to given", field="events")
        first = first or _day_value(user_days["day"].min())
        last = last or _day_value(user_days["day"].max())
    if last < first:
        raise InvalidInput("the last day is before the first", field="to", limit=str(first))
    return first, last


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
    first, last = _resolve_range(user_days, first_day, last_day)
    last_data_day = _day_value(user_days["day"].max()) if not user_days.is_empty() else last

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

    calendar = _calendar(first, last).with_columns(period_start(pl.col("day"), by).alias("period"))
    periods = calendar.select("period").unique().sort("period")
    period_ends = calendar.group_by("period").agg(pl.col("day").max().alias("end"))
    eligible = _eligible_creators(items, period_ends, tz=tz)
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


def _eligible_creators(items: FrameLike, period_ends: pl.DataFrame, *, tz: str) -> pl.DataFrame:
    first_items = (
        items.lazy()
        .group_by("creator_id")
        .agg(pl.col("created_at_ms").min().alias("created_at_ms"))
        .collect()
    )
    if first_items.is_empty():
        return period_ends.select("period", pl.lit(0, dtype=pl.UInt32).alias("creators"))
    ends_ms = [day_range_ms(end, end, tz=tz)[1] for end in period_ends["end"]]
    created = first_items["created_at_ms"].sort()
    counts = created.search_sorted(pl.Series(ends_ms, dtype=pl.Int64), side="left")
    return period_ends.select("period").with_columns(counts.alias("creators"))


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
        .filter(_day_filter(first_day, last_day))
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


def _day_filter(first_day: date | None, last_day: date | None, column: str = "day") -> pl.Expr:
    condition = pl.lit(True)
    if first_day is not None:
        condition &= pl.col(column) >= first_day
    if last_day is not None:
        condition &= pl.col(column) <= last_day
    return condition


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
        .filter(_day_filter(first_day, last_day, "cohort"))
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


def kpi_reference_markdown() -> str:
    """The KPI reference (docs/kpis.md body) generated from ``KPIS``."""
    lines = [
        "| KPI | 中文 | unit | definition |",
        "|---|---|---|---|",
    ]
    for kpi in KPIS.values():
        lines.append(
            f"| `{kpi.name}` ({kpi.label_en}) | {kpi.label_zh} | {kpi.unit} | {kpi.definition} |"
        )
    return "\n".join(lines) + "\n"
