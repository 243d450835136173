"""The KPI registry: every KPI's name, labels, unit and the one definition that documents
it, and the count columns ratio KPIs are built from. ``docs/kpis.md`` is generated from it by
``kpi_reference_markdown()``."""

from __future__ import annotations

from dataclasses import dataclass, field

from laotie.core.clock import MS_PER_MINUTE


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
