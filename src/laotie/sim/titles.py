"""Readable, varied Chinese titles from category-specific vocabularies.

A video title fills a template of its first-level category with a noun of its second-level
category and a hook; series, novels and games have their own patterns. Every draw comes from
the ``numpy.random.Generator`` passed in, so titles are reproducible from the seed.
"""

from __future__ import annotations

import numpy as np

from laotie.sim.taxonomy import TAXONOMY, Category

HOOKS = (
    "看到最后我惊了",
    "一定要看完",
    "太绝了",
    "建议收藏",
    "第一次见",
    "没想到这么简单",
    "真的上头",
    "一次就成功",
    "后悔没早点知道",
    "家人们谁懂啊",
    "新手也能学会",
    "全程高能",
    "真实记录",
    "原来是这样",
    "细节拉满",
)
ADJECTIVES = ("超好看的", "绝美的", "治愈系", "硬核", "宝藏", "冷门", "爆款", "超详细", "沉浸式")
PEOPLE = ("我妈", "我爸", "老板", "室友", "男朋友", "闺蜜", "小侄子", "奶奶", "同事", "邻居大爷")

VIDEO_TEMPLATES: dict[str, tuple[str, ...]] = {
    "美食": (
        "在家做{n}，{h}",
        "{a}{n}教程，{h}",
        "一口{n}，{h}",
        "{p}做的{n}，{h}",
        "{n}的{k}种做法",
    ),
    "搞笑": ("{n}：{h}", "当{p}遇上{n}，{h}", "{n}合集第{k}弹", "笑不活了！{n}"),
    "影视": ("{k}分钟看完{n}，{h}", "{a}{n}，{h}", "{n}盘点，{h}", "{n}：{h}"),
    "音乐": ("{n}｜{h}", "{p}听了都说好的{n}", "{a}{n}，{h}", "用{n}演绎经典，{h}"),
    "舞蹈": ("{n}挑战，{h}", "{a}{n}，{h}", "跟{p}一起跳{n}", "{n}第{k}天打卡"),
    "体育": ("{n}，{h}", "{a}{n}瞬间", "练了{k}天的{n}，{h}", "{n}教学：{h}"),
    "汽车": ("{n}实测，{h}", "{k}万预算的{n}，{h}", "{n}，老司机告诉你", "{a}{n}，{h}"),
    "科技数码": ("{n}深度体验，{h}", "{k}元的{n}值不值", "{n}横评，{h}", "用{n}一天，{h}"),
    "时尚美妆": ("{n}｜{h}", "{a}{n}分享", "{k}套{n}，{h}", "{p}夸爆的{n}"),
    "萌宠": ("{n}的日常，{h}", "家有{n}，{h}", "{a}{n}，{h}", "{n}第{k}天，{h}"),
    "旅行": ("{n}攻略，{h}", "{k}天{n}，{h}", "{a}{n}，{h}", "一个人的{n}，{h}"),
    "三农": ("{n}，{h}", "{p}的{n}，{h}", "{a}{n}", "今天{n}，{h}"),
    "知识": ("{k}分钟讲清{n}，{h}", "{n}冷知识，{h}", "关于{n}，{h}", "{a}{n}科普"),
    "情感": ("{n}：{h}", "{p}说的{n}，{h}", "关于{n}的{k}个真相", "{n}，{h}"),
}

SERIES_PATTERNS = (
    "闪婚后，{n}竟是{m}",
    "{n}：{m}归来",
    "重生之{n}不好惹",
    "{n}她又美又飒",
    "我的{n}是{m}",
    "{n}在上",
    "离婚后，{n}后悔了",
    "{n}请自重",
)
NOVEL_PATTERNS = ("{n}：{m}之路", "我在{n}当{m}", "{n}纪元", "{n}风云录", "全球{n}", "{n}之{m}")
CHAPTER_PHRASES = (
    "初入",
    "风波再起",
    "真相浮现",
    "绝境",
    "转机",
    "暗流涌动",
    "一战成名",
    "故人重逢",
    "危机",
    "破局",
    "惊变",
    "新的开始",
)
GAME_PATTERNS = ("{n}大作战", "{n}：无尽挑战", "开心{n}", "{n}大师", "全民{n}", "{n}物语")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
NICK_PATTERNS = ("爱{n}的{s}老师", "{s}小{c}", "{n}日记", "阿{c}的{n}", "{s}{c}{n}频道")
GIVEN = "晓明丽芳杰涛静磊敏婷强娟超霞勇艳"


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def video_title(category: Category, rng: np.random.Generator) -> str:
    """A title for a video in ``category``."""
    nouns = TAXONOMY[category.first][category.second]
    template = _pick(rng, VIDEO_TEMPLATES[category.first])
    return template.format(
        n=_pick(rng, nouns),
        h=_pick(rng, HOOKS),
        a=_pick(rng, ADJECTIVES),
        p=_pick(rng, PEOPLE),
        k=int(rng.integers(2, 11)),
    )


def _two_nouns(category: Category, rng: np.random.Generator) -> tuple[str, str]:
    nouns = TAXONOMY[category.first][category.second]
    first, second = rng.choice(len(nouns), size=2, replace=False)
    return nouns[int(first)], nouns[int(second)]


def series_title(category: Category, rng: np.random.Generator) -> str:
    """A micro-drama series title in ``category``."""
    n, m = _two_nouns(category, rng)
    return _pick(rng, SERIES_PATTERNS).format(n=n, m=m)


def episode_title(series: str, position: int) -> str:
    """The title of episode ``position`` of ``series``."""
    return f"{series} 第{position}集"


def novel_title(category: Category, rng: np.random.Generator) -> str:
    """A web novel title in ``category``."""
    n, m = _two_nouns(category, rng)
    return _pick(rng, NOVEL_PATTERNS).format(n=n, m=m)


def chapter_title(novel: str, position: int, rng: np.random.Generator) -> str:
    """The title of chapter ``position`` of ``novel``."""
    return f"{novel} 第{position}章 {_pick(rng, CHAPTER_PHRASES)}"


def game_title(category: Category, rng: np.random.Generator) -> str:
    """A mini-game title in ``category``."""
    nouns = TAXONOMY[category.first][category.second]
    return _pick(rng, GAME_PATTERNS).format(n=_pick(rng, nouns))


def creator_name(category: Category, rng: np.random.Generator) -> str:
    """A creator's display name that hints at their main category."""
    nouns = TAXONOMY[category.first][category.second]
    return _pick(rng, NICK_PATTERNS).format(
        n=_pick(rng, nouns), s=_pick(rng, tuple(SURNAMES)), c=_pick(rng, tuple(GIVEN))
    )
