"""Text corruptions used to build labelled sets: a 伪原创 spinner, stuffing, residue, spacing.

These are the *attacks* the checks in ``spam`` must catch. They are deterministic for a given
``seed`` and never touch the checks' own word lists, so an evaluation is not circular beyond
the shared notion of what an idiom is (jieba's dictionary).
"""

from __future__ import annotations

import random
import re

import jieba.posseg as pseg

from laotie.trust.lexicon import idioms

#: near-synonym swaps a spinner makes (classical/early-vernacular -> modern, and plain synonyms)
SYNONYMS = {
    "道": "说",
    "笑道": "笑着说",
    "便": "就",
    "甚": "非常",
    "却": "但是",
    "遂": "然后",
    "只见": "只看到",
    "原来": "本来",
    "如何": "怎么样",
    "欢喜": "开心",
    "大喜": "特别高兴",
    "不知": "不晓得",
    "即": "马上",
    "因": "因为",
    "故": "所以",
    "忙": "急忙",
    "众人": "大家",
    "今日": "今天",
    "明日": "明天",
    "如今": "现在",
    "言语": "说话",
    "看见": "瞧见",
    "美丽": "漂亮",
    "立刻": "马上",
    "非常": "十分",
    "知道": "晓得",
    "喜欢": "喜爱",
    "寻": "找",
    "此": "这个",
    "彼": "那个",
    "吃": "食用",
    "走": "行走",
    "回来": "返回",
    "问": "询问",
    "听": "聆听",
}
#: characters a spinner swaps inside idioms and names
CHAR_SWAPS = {
    "大": "巨",
    "小": "微",
    "心": "意",
    "天": "空",
    "人": "者",
    "山": "峰",
    "水": "河",
    "风": "气",
    "花": "卉",
    "月": "亮",
    "日": "阳",
    "手": "掌",
    "目": "眼",
    "口": "嘴",
    "头": "首",
    "无": "没",
    "不": "未",
    "一": "单",
    "万": "千",
    "百": "千",
    "年": "岁",
    "生": "活",
    "死": "亡",
    "明": "亮",
    "光": "亮",
    "长": "久",
    "高": "超",
    "美": "漂",
    "老": "旧",
    "新": "鲜",
    "悟": "晤",
    "玉": "钰",
    "宝": "豹",
    "空": "孔",
    "德": "得",
    "江": "疆",
    "云": "芸",
    "林": "琳",
    "黛": "代",
    "备": "倍",
    "羽": "雨",
    "飞": "菲",
    "松": "嵩",
    "武": "舞",
}


def spin(text: str, *, rate: float = 0.3, seed: int = 0) -> str:
    """A 伪原创 of ``text``: near-synonym swaps, one-character idiom and name changes."""
    rng = random.Random(seed)
    real = idioms()
    out = []
    for word, flag in pseg.lcut(text, HMM=False):
        if word in real and rng.random() < 0.8:
            out.append(_swap_one_char(word, rng))
        elif rng.random() >= rate:
            out.append(word)
        elif word in SYNONYMS:
            out.append(SYNONYMS[word])
        elif flag.startswith("nr") and len(word) >= 2:
            out.append(_swap_one_char(word, rng))
        else:
            out.append(word)
    return "".join(out)


def _swap_one_char(word: str, rng: random.Random) -> str:
    spots = [i for i, ch in enumerate(word) if ch in CHAR_SWAPS]
    if not spots:
        return word
    i = rng.choice(spots)
    return word[:i] + CHAR_SWAPS[word[i]] + word[i + 1 :]


#: phrases stuffers inject (shop names, contact bait, SEO keywords)
STUFFED_PHRASES = (
    "老铁牌电饭煲",
    "加微信领福利",
    "全网最低价包邮",
    "点击关注不迷路",
    "正品减肥茶",
    "免费领取会员",
)


def stuff(text: str, *, times: int = 8, seed: int = 0, phrase: str | None = None) -> str:
    """``text`` with one phrase injected ``times`` times at random sentence boundaries."""
    rng = random.Random(seed)
    chosen = phrase or rng.choice(STUFFED_PHRASES)
    cuts = [m.end() for m in re.finditer(r"[。！？．!?]", text)] or [len(text)]
    spots = sorted(rng.choice(cuts) for _ in range(times))
    out, last = [], 0
    for spot in spots:
        out.append(text[last:spot])
        out.append(chosen)
        last = spot
    out.append(text[last:])
    return "".join(out)


#: residue real scraped copies of web novels carry (not the check's own patterns)
RESIDUE_LINES = (
    "天才一秒记住本站地址：www.biquge.la 最快更新！无广告！",
    "本章未完，请点击下一页继续阅读》》",
    "手机用户请浏览 m.dingdian.cc 阅读，更优质的阅读体验。",
    "上一章 | 返回目录 | 下一章",
    "喜欢本书请记得加入书签，方便下次阅读。",
    "（本章完）",
    "&nbsp;&nbsp;&nbsp;&nbsp;",
    "ps：求月票，求推荐票！",
    "笔趣阁 最新章节 免费阅读",
)


def add_residue(text: str, *, lines: int = 3, seed: int = 0) -> str:
    """``text`` with scraped-site residue lines inserted between paragraphs."""
    rng = random.Random(seed)
    paragraphs = text.split("\n")
    for _ in range(lines):
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), rng.choice(RESIDUE_LINES))
    return "\n".join(paragraphs)


def bad_spacing(text: str, *, rate: float = 0.3, seed: int = 0) -> str:
    """``text`` with spaces around punctuation and ASCII commas, as sloppy reposts have."""
    rng = random.Random(seed)
    out = []
    for ch in text:
        if ch in "，。" and rng.random() < rate:
            out.append(rng.choice([" " + ch + " ", ", ", " " + ch]))
        elif "\u4e00" <= ch <= "\u9fff" and rng.random() < rate / 10:
            out.append(ch + " ")
        else:
            out.append(ch)
    return "".join(out)
