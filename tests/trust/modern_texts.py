"""Modern Chinese prose written for these tests (business news, an annual report, an article
about AIGC): the kinds of text a naive stuffing, spinning or AIGC-notice detector gets wrong."""

from __future__ import annotations

import random

from laotie.trust.modernset import insert_at

#: a company profile that names its founder (周明远) and its company again and again
SUBJECT_ARTICLE = """星河物流：一家县城快递公司的十年
二〇一四年，周明远从省城回到家乡，用借来的二十万元开了一家只有三辆货车的快递网点。那时候，县里的网购包裹要在市里中转两天才能送到，周明远觉得这是一个机会。
起步并不顺利。第一年，星河物流几乎没有赚到钱，周明远每天凌晨四点就去仓库分拣包裹，晚上还要自己开车送货。他说，那段时间最大的收获是摸清了每一个乡镇的道路和客户。
转机出现在二〇一七年。当地政府推动电商进农村，大量农产品需要发往全国。周明远决定把公司的重心从派送转向揽收，在十二个乡镇设立了收购点，帮助果农把苹果和核桃卖到城里。星河物流的业务量在一年内增长了三倍。
随着规模扩大，管理问题也暴露出来。司机迟到、包裹丢失、客户投诉不断增加。周明远请来一位做过大型企业运营的朋友，重新设计了分拣流程，并引入了电子面单和车辆定位系统。公司的运营效率明显提高，投诉率下降了一半以上。
如今，星河物流已经拥有八十多辆货车和四百多名员工，年营业收入超过一亿元。周明远说，公司下一步要建设冷链仓库，让更多的生鲜产品能够走出大山。对于未来，他既有信心，也保持着清醒：快递行业竞争激烈，价格战随时可能再次打响，只有把服务做细，才能留住客户。
在员工眼中，周明远是一个说话不多但做事踏实的老板。每逢春节，他都会亲自给留守的司机送去年货。有员工回忆，前年冬天大雪封路，周明远带着几个人连夜把一批药品送到了山里的卫生院。
业内人士认为，星河物流的经验对于县域物流具有重要意义：它说明，只要找准本地产业的需求，小公司同样可以在巨头林立的市场中找到自己的位置。周明远则表示，公司能有今天，离不开乡亲们的信任，也离不开员工们的辛苦付出。
"""

#: an annual report summary: years, figures and percentages everywhere
NUMBERS_REPORT = """二〇二三年度经营情况报告
2023年，公司实现营业收入128.6亿元，较2022年增长12.4%；归属于股东的净利润9.3亿元，较2022年增长8.1%。2023年第四季度营业收入38.2亿元，为2023年各季度最高。
从业务结构看，2023年国内业务收入96.5亿元，占比75.0%；海外业务收入32.1亿元，占比25.0%，较2022年提高3.2个百分点。2021年至2023年，海外业务收入年均增长21.7%。
2023年，公司研发投入7.8亿元，占营业收入的6.1%，较2022年的6.3%略有下降。截至2023年12月31日，公司累计拥有有效专利1,265项，其中2023年新增发明专利143项。
2023年末，公司总资产215.4亿元，较2022年末增长9.8%；资产负债率为46.2%，较2022年末下降1.5个百分点。2023年经营活动产生的现金流量净额为15.6亿元。
2024年，公司计划实现营业收入145亿元，研发投入不低于9亿元，并在2024年至2026年间新建两座生产基地。2025年，公司力争海外业务收入占比达到30%。
"""

#: an article about AIGC: it mentions AI生成 and AIGC in its sentences, and carries no label
AIGC_ARTICLE = """AIGC如何改变内容行业
过去两年，AIGC从一个技术名词变成了内容行业的日常工具。越来越多的短视频创作者用AI生成脚本和配图，一些小团队甚至用AIGC工具完成了整部微短剧的分镜。
但问题也随之而来。平台发现，部分AI生成的视频没有按照规定添加标识，用户很难分辨哪些内容由人工智能生成。根据相关标准，AIGC内容需要同时添加显式标识和隐式标识。
业内人士认为，AIGC不会取代创作者，而会改变创作的分工。懂得使用AI生成素材、同时保留个人风格的创作者，将在下一轮竞争中占据优势。对于平台而言，如何识别未标注的AI生成内容，是接下来必须解决的问题。
"""

#: the same article as the platform's studio exports it: the notice sits at the top
AIGC_LABELLED = "【本内容由AI生成】\n" + AIGC_ARTICLE

#: near-synonym swaps a 伪原创 tool makes in SUBJECT_ARTICLE (original -> swapped)
HAND_SPUN_SWAPS = {
    "机会": "契机",
    "顺利": "得手",
    "收获": "成果",
    "决定": "决意",
    "增长": "滋长",
    "暴露": "露出",
    "问题": "疑难",
    "重新": "再行",
    "设计": "计划",
    "提高": "进步",
    "明显": "显着",
    "拥有": "具有",
    "超过": "越过",
    "建设": "修筑",
    "信心": "决心",
    "激烈": "剧烈",
    "踏实": "扎实",
    "回忆": "记忆",
    "重要": "首要",
    "意义": "含义",
    "需求": "需要",
    "市场": "商场",
    "信任": "信赖",
    "辛苦": "困苦",
    "客户": "主顾",
    "员工": "职工",
    "经验": "阅历",
}


def hand_spun(text: str) -> str:
    """``text`` with every ``HAND_SPUN_SWAPS`` word swapped, as a synonym tool would."""
    for original, swapped in HAND_SPUN_SWAPS.items():
        text = text.replace(original, swapped)
    return text


def stuff_name(text: str, name: str, *, times: int, seed: int, within: float = 0.6) -> str:
    """``name`` inserted ``times`` times at random character positions of the first
    ``within`` share of ``text`` (inside words too), as the stuffed article was."""
    rng = random.Random(seed)
    first_line = text.index("\n") + 1
    end = first_line + int((len(text) - first_line) * within)
    return insert_at(text, name, rng.sample(range(first_line + 1, end), times))
