"""Is a word a person? Name rules for classical and modern Chinese fiction.

jieba's dictionary tags person names ``nr``/``nrfg``/``nrt`` but misses most fictional ones
(凤姐, 袭人, 玄德) and tags some groups as names (文武). So a word earns a place in a cast
by rules: it must not be a body part (耳朵), a place (山门), a verb phrase (用手, 满心欢喜),
a group (文武, 姊妹, 众人) or a bare title (太尉); and it is a person when jieba says so, when
it is a surname with a kinship word or title (贾母, 王夫人, 刘姥姥, 鲁提辖), a given name
with a kinship word (凤姐), a servant's wife (周瑞家的), or when it introduces speech often
enough (the caller's evidence).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

#: common Chinese surnames (single characters); compound ones below
SURNAMES = set(
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏水窦章云苏潘葛范彭"
    "郎鲁韦昌马苗凤花方俞任袁柳鲍史唐费薛雷贺倪汤滕殷罗毕郝安常乐于傅齐康伍余顾孟黄穆萧尹姚邵"
    "汪祁毛狄米贝明臧计伏成戴宋庞熊纪舒屈项祝董梁杜阮蓝闵季贾江童颜郭梅盛林钟徐邱骆高夏蔡田"
    "胡凌霍虞万柯卢莫房解应宗丁宣邓单杭洪包左石崔吉龚程邢裴陆荣翁荀惠甄曲封储靳焦牧山谷车侯"
    "伊宁仇甘武符刘景詹龙叶黎白蒲邰从鄂索咸赖卓蔺屠蒙池乔阳胥能苍双闻党翟谭贡劳姬申扶堵冉宰"
    "雍桑桂濮牛寿边燕冀浦尚农温别庄晏柴瞿阎慕连茹习宦艾鱼容向古易廖庾终步都耿满弘匡国文寇广"
    "禄东欧沃利蔚越夔隆师巩聂晁勾敖融冷訾辛阚简饶空曾沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖"
    "尉迟"
)
COMPOUND_SURNAMES = ("诸葛", "司马", "夏侯", "欧阳", "公孙", "呼延", "上官", "皇甫", "慕容", "长孙")
#: kinship words and titles that make a person of the surname or name before them
KINSHIP = (
    "老太太",
    "太太",
    "夫人",
    "奶奶",
    "姥姥",
    "姨妈",
    "姨娘",
    "嫂子",
    "大嫂",
    "大娘",
    "婆子",
    "老爷",
    "大爷",
    "二爷",
    "三爷",
    "姑娘",
    "哥哥",
    "姐姐",
    "妹妹",
    "丫头",
    "家的",
    "母",
    "父",
    "氏",
    "姐",
    "兄",
    "弟",
    "妹",
    "嫂",
    "婶",
    "伯",
    "叔",
    "公",
    "婆",
)
TITLES = (
    "太尉",
    "太守",
    "知府",
    "知县",
    "提辖",
    "教头",
    "都头",
    "员外",
    "丞相",
    "将军",
    "都督",
    "先生",
    "太公",
    "天王",
    "大王",
    "真人",
    "大仙",
    "元帅",
    "军师",
    "院长",
    "保正",
    "押司",
    "长老",
    "道士",
    "道人",
    "和尚",
    "太医",
    "大夫",
    "娘子",
    "头领",
    "先锋",
)
#: body parts: a word ending in one is a gesture or a description, not a person
_BODY = re.compile(
    r"(?:手|脚|足|头|眼|耳|耳朵|口|嘴|鼻|面|脸|心|身|腰|背|肩|发|眉|齿|牙|舌|腿|臂|指|喉|胸|肚|腹|泪|声|气|睛|毛|皮|骨|血|爪|尾|须|膀|膝)$"
)
#: place suffixes: 山门, 洞口, 黑风山
_PLACE = re.compile(
    r"(?:山|门|殿|洞|寺|宫|庄|城|营|寨|关|院|园|楼|堂|亭|村|店|州|县|岭|桥|阁|庙|厅|房|河|湖|海|岸|坡|路|街|"
    r"口|边|下|里|内|外|前|中)$"
)
_ADVERB_FIRST = "即便遂乃又忙也亦就用把将拿举伸抬执提挥扯掩"
#: a word starting with one of these is a verb phrase or a pointer, not a name
_NOT_FIRST = _ADVERB_FIRST + "向对与和同问叫满听看见说笑哭这那此其该众诸多群各每一两几"
#: prepositions and pointers: a word starting with one is never a name, whatever jieba says
_FUNCTION_FIRST = "向对与和同问叫把将被给替让这那此其该众诸"
#: groups and relations between people (speakers, maybe; characters, never)
GROUPS = {
    "文武",
    "姊妹",
    "姐妹",
    "兄弟",
    "弟兄",
    "夫妻",
    "师徒",
    "父子",
    "母子",
    "母女",
    "君臣",
    "妖邪",
    "军士",
    "将士",
    "百姓",
    "左右",
    "人等",
    "大家",
    "大众",
    "两个",
    "二人",
    "三人",
    "众人",
    "徒弟",
    "弟子",
    "家人",
    "小的",
    "我们",
    "你们",
    "他们",
    "咱们",
}
#: verbs that introduce speech and are not in jieba's dictionary as verbs
_VERBS = {"寻思", "思量", "商议", "计议", "分付", "吩咐", "按落", "即命", "回报", "禀道", "道谢"}
#: a word ending in one of these is an action (寻思, 冷笑, 传令)
_VERB_LAST = "思想令旨笑哭叹谢毕罢"
_NAME_TAGS = {"nr", "nrfg", "nrt"}
#: dictionary tags of words that are never names (verbs, adverbs, idioms, ...)
_NEVER_TAGS = {
    "v",
    "vd",
    "vn",
    "vg",
    "d",
    "ad",
    "a",
    "an",
    "i",
    "l",
    "p",
    "c",
    "u",
    "y",
    "r",
    "m",
    "t",
    "f",
    "s",
    "e",
    "o",
    "x",
    "z",
    "zg",
    "ul",
    "uj",
    "uz",
    "ug",
    "uv",
    "ud",
    "k",
}


@lru_cache(maxsize=1)
def jieba_tags() -> dict[str, str]:
    """jieba's dictionary part-of-speech tags (word -> tag), loaded once."""
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return dict(jieba.posseg.dt.word_tag_tab)


def surname_of(name: str) -> str:
    """The surname ``name`` starts with (compound first), or ``""``."""
    for compound in COMPOUND_SURNAMES:
        if name.startswith(compound) and len(name) > len(compound):
            return compound
    return name[0] if name and name[0] in SURNAMES and len(name) > 1 else ""


def is_titled(word: str) -> bool:
    """True for a surname or name with a kinship word or title: 贾母, 王夫人, 凤姐, 宋太尉."""
    for suffix in (*KINSHIP, *TITLES):
        stem = word[: -len(suffix)]
        if word.endswith(suffix) and stem and len(stem) <= 3 and stem[0] in SURNAMES:
            return stem not in GROUPS and not _BODY.search(stem)
    return False


def is_kinship(word: str) -> bool:
    """True for a bare kinship word or title (夫人, 太尉): a way to address, not a name."""
    return word in KINSHIP or word in TITLES


def non_person_reason(word: str) -> str | None:
    """Why ``word`` cannot be a character (body part, place, verb, group, title), or None."""
    tags = jieba_tags()
    tag = tags.get(word, "")
    named = tag in _NAME_TAGS
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,5}", word):
        return "not a 2-5 character Chinese word"
    if word in GROUPS or word.endswith(("们", "等", "众", "辈")) or word[0] in "众诸":
        return "group"
    if is_kinship(word):
        return "bare title"
    if is_titled(word):
        return None
    if word in _VERBS or word[-1] in _VERB_LAST:
        return "verb"
    if tag in _NEVER_TAGS or tag.startswith("v"):
        return f"dictionary {tag}"
    if _BODY.search(word) and not named:
        return "body part"
    if _PLACE.search(word) and not (named and surname_of(word)):
        return "place"
    if word[0] in _FUNCTION_FIRST or (word[0] in _NOT_FIRST and not named):
        return "verb or pointer"
    return None


def is_name_tagged(word: str) -> bool:
    """True when jieba's dictionary tags ``word`` as a person name."""
    return jieba_tags().get(word, "") in _NAME_TAGS
