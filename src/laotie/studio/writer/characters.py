"""Characters: names from speech attributions (jieba POS + frequency), aliases, relationships.

A name candidate is the word right before a speech verb (``行者道：``, ``宝玉笑道``); jieba's
dictionary tags drop adverbs, verbs and pronouns. Aliases are merged only on evidence in the
text: a courtesy-name statement (``姓刘，名备，字玄德``), a surname prefix that is unique
(``黛玉`` ⊂ ``林黛玉``), or a diminutive ``儿`` (``凤姐``/``凤姐儿``). Relationships are
paragraph co-occurrence counts; first appearance is the first chapter naming any alias.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from laotie.studio.writer.model import Character, Novel, Relation
from laotie.studio.writer.parse import units

#: tags of words that are never names (adverbs, verbs, pronouns, numerals, particles...)
_NOT_NAME_TAGS = {
    "d",
    "v",
    "vd",
    "vg",
    "ad",
    "a",
    "p",
    "c",
    "u",
    "y",
    "r",
    "m",
    "q",
    "t",
    "f",
    "s",
    "uz",
    "ul",
    "uj",
    "ug",
    "uv",
    "ud",
    "k",
    "z",
    "zg",
    "e",
    "o",
    "x",
    "l",
}
#: single characters glued to a name before the speech verb (宝玉笑道 -> 宝玉)
_TRAILING = "笑因又便忙也亦乃遂即方才却都只就先还乃皆俱齐冷急怒喜叹哭闻"
#: words often found before 道 that are not people
_STOP = {
    "闻言",
    "说话",
    "心中",
    "口里",
    "口内",
    "大惊",
    "大喜",
    "大怒",
    "施礼",
    "合掌",
    "暗想",
    "近前",
    "上前",
    "面前",
    "一声",
    "滴泪",
    "作礼",
    "礼拜",
    "冷笑",
    "因说",
    "一面",
    "悄悄的",
    "高叫",
    "回头",
    "点头",
    "答应",
    "听了",
    "听说",
    "见了",
    "说道",
    "笑道",
    "问道",
    "叫道",
    "自己",
    "大家",
    "如今",
    "只得",
    "不得",
    "不知",
    "这里",
    "那里",
    "一个",
    "两个",
    "出来",
    "进来",
    "起来",
    "下来",
    "说着",
    "看了",
    "心下",
    "心内",
    "手中",
    "口中",
    "欢喜",
    "谢恩",
    "言语",
    "东西",
    "众",
    "人",
    "他",
    "她",
    "我",
    "你",
    "报",
    "问",
    "喝",
    "儿",
    "们",
    "家",
    "连忙",
    "急忙",
    "忙忙",
    "慌忙",
    "便是",
    "只是",
    "却是",
    "正是",
    "于是",
    "因此",
    "此时",
}
_STOP |= {
    "徒弟",
    "师徒",
    "妖魔",
    "铁棒",
    "云头",
    "听得",
    "商议",
    "二人",
    "一人",
    "三人",
    "弟子",
    "兵器",
    "模样",
    "怪物",
    "金箍棒",
    "方才",
    "毫毛",
    "战兢兢",
    "战战兢兢",
    "不题",
    "只听",
}
#: people named by their role; they may speak in scripts but are not bible characters
GENERIC_ROLES = {
    "姨妈",
    "姐姐",
    "妹妹",
    "老太太",
    "二爷",
    "大爷",
    "三爷",
    "宝二爷",
    "魔王",
    "妖魔",
    "众人",
    "众僧",
    "众将",
    "众官",
    "众妖",
    "众神",
    "老者",
    "妇人",
    "女子",
    "小妖",
    "妖精",
    "妖怪",
    "丫头",
    "小丫头",
    "丫鬟",
    "婆子",
    "道士",
    "和尚",
    "军士",
    "那人",
    "左右",
    "从人",
    "庄客",
    "店家",
    "小二",
    "公人",
    "差人",
    "使者",
    "太监",
    "那怪",
    "老妖",
    "妖王",
    "老魔",
    "二魔",
    "三魔",
    "大仙",
    "土地",
    "长老",
    "国王",
    "娘娘",
    "公主",
    "太子",
    "小厮",
    "家人",
    "媳妇",
    "丫环",
    "军校",
    "将士",
    "百姓",
    "众军",
    "众小妖",
    "大王",
    "师父",
    "先生",
    "官人",
    "老爷",
    "太太",
    "奶奶",
    "姑娘",
    "妈妈",
    "嫂子",
    "哥哥",
    "兄弟",
    "呆子",
    "小的",
    "老儿",
}
#: a word ending in one of these is an action (前奏, 来报, 罗拜), not a speaker
_VERB_END = "奏报拜闻言叫喊说问答请告禀排酒声口上下来去了着过得毕罢完见里内中外前后边时象相出入众大"
_COURTESY = re.compile(r"姓(.)，?名(.{1,2})，字(..)")
MIN_SPEECHES = 3
#: a dictionary common noun must introduce at least this share of its mentions as speech
MIN_NOUN_SPEECH_SHARE = 0.12
#: common Chinese surnames: "孙行者"/"孙大圣" make 行者 and 大圣 one person
_SURNAMES = set(
    "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏水窦章云苏潘葛范彭"
    "郎鲁韦昌马苗凤花方俞任袁柳鲍史唐费薛雷贺倪汤滕殷罗毕郝安常乐于傅齐康伍余顾孟黄穆萧尹姚邵"
    "汪祁毛狄米贝明臧计伏成戴宋庞熊纪舒屈项祝董梁杜阮蓝闵季贾江童颜郭梅盛林钟徐邱骆高夏蔡田"
    "胡凌霍虞万柯卢莫房解应宗丁宣邓单杭洪包左石崔吉龚程邢裴陆荣翁荀惠甄曲封储靳焦牧山谷车侯"
    "伊宁仇甘武符刘景詹龙叶黎白蒲邰从鄂索咸赖卓蔺屠蒙池乔阳胥能苍双闻党翟谭贡劳姬申扶堵冉宰"
    "雍桑桂濮牛寿边燕冀浦尚农温别庄晏柴瞿阎慕连茹习宦艾鱼容向古易廖庾终步都耿满弘匡国文寇广"
    "禄东欧沃利蔚越夔隆师巩聂晁勾敖融冷訾辛阚那简饶空曾沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖"
)


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba, jieba.posseg.dt.word_tag_tab


def speaker_token(clause: str) -> str | None:
    """The name-like word right before the speech verb of ``clause`` (None if none)."""
    jieba, tags = _jieba()
    tail = re.sub(r"(?:道|曰|说|问|叫|喝|答|骂|嚷|笑|哭)+[：:]?$", "", clause.strip())[-12:]
    words = [w for w in jieba.cut(tail) if w.strip()]
    while words and (tags.get(words[-1], "") in _NOT_NAME_TAGS or words[-1] in _STOP):
        if len(words[-1]) > 2 and words[-1][-1] in _TRAILING and words[-1][:-1] not in _STOP:
            words[-1] = words[-1][:-1]
            continue
        words.pop()
    if not words:
        return None
    word = words[-1]
    while len(word) > 2 and word[-1] in _TRAILING:
        word = word[:-1]
    if tags.get(word, "") in _NOT_NAME_TAGS:
        return None
    if len(word) < 2 or len(word) > 4 or word in _STOP or word[0] in "向对与和同问叫一两":
        return None
    if word[-1] in _VERB_END and word not in GENERIC_ROLES:
        return None
    if not re.fullmatch(r"[\u4e00-\u9fff]+", word):
        return None
    return word


@dataclass
class _Group:
    name: str
    aliases: set[str] = field(default_factory=set)
    speeches: int = 0


def _merge_aliases(counts: Counter[str], text: str) -> list[_Group]:
    parent = {name: name for name in counts}

    def find(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            keep, drop = (ra, rb) if counts[ra] >= counts[rb] else (rb, ra)
            parent[drop] = keep

    for surname, given, courtesy in set(_COURTESY.findall(text)):
        full = surname + given
        for alias in (courtesy, surname + courtesy):
            if full in counts and alias in counts:
                union(full, alias)
    by_surname: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        given = name[1:]
        if (
            len(given) >= 2
            and name[0] in _SURNAMES
            and given in counts
            and given not in GENERIC_ROLES
        ):
            by_surname[name[0]].append(name)
    for names in by_surname.values():
        # 孙悟空, 孙行者, 孙大圣 all spoken of: one person under several given names
        if len(names) >= 2:
            for other in names[1:]:
                union(names[0], other)
    for short in counts:
        longer = [n for n in counts if n != short and (n.endswith(short) or n == short + "儿")]
        if len(longer) == 1 and short not in GENERIC_ROLES:
            long_name = longer[0]
            surname_prefix = len(long_name) == len(short) + 1 and long_name[0] in _SURNAMES
            if long_name == short + "儿" or surname_prefix:
                union(short, long_name)
    groups: dict[str, _Group] = {}
    for name in counts:
        root = find(name)
        group = groups.setdefault(root, _Group(name=root))
        group.aliases.add(name)
        group.speeches += counts[name]
    return list(groups.values())


def count_speakers(novel: Novel) -> Counter[str]:
    """How often each name-like word introduces a speech in the novel."""
    speakers: Counter[str] = Counter()
    for chapter in novel.chapters:
        for paragraph in chapter.paragraphs:
            for unit in units(paragraph):
                if unit.kind == "dialogue" and unit.clause:
                    token = speaker_token(unit.clause)
                    if token:
                        speakers[token] += 1
    return speakers


def extract_characters(
    novel: Novel, *, limit: int = 30, speakers: Counter[str] | None = None
) -> list[Character]:
    """The novel's speaking characters, most mentioned first, with roles and relations."""
    speakers = speakers if speakers is not None else count_speakers(novel)
    floor = max(MIN_SPEECHES, novel.char_count // 200_000)
    counts = Counter({n: c for n, c in speakers.items() if c >= floor and n not in GENERIC_ROLES})
    text = "\n".join(p for c in novel.chapters for p in c.paragraphs)
    groups = _merge_aliases(counts, text)
    if not groups:
        return []
    alias_of = {alias: g.name for g in groups for alias in g.aliases}
    pattern = re.compile("|".join(sorted(map(re.escape, alias_of), key=len, reverse=True)))
    mentions: Counter[str] = Counter()
    first: dict[str, int] = {}
    pairs: Counter[tuple[str, str]] = Counter()
    for chapter in novel.chapters:
        for paragraph in chapter.paragraphs:
            present = set()
            for match in pattern.finditer(paragraph):
                name = alias_of[match.group(0)]
                mentions[name] += 1
                present.add(name)
                first.setdefault(name, chapter.number)
            for a in present:
                for b in present:
                    if a < b:
                        pairs[(a, b)] += 1
    _, tags = _jieba()

    def plausible(group: _Group) -> bool:
        if tags.get(group.name) in ("n", "vn", "nz") and group.name not in GENERIC_ROLES:
            return group.speeches >= MIN_NOUN_SPEECH_SHARE * max(1, mentions[group.name])
        return True

    kept_groups = [g for g in groups if plausible(g)]
    ranked = sorted(kept_groups, key=lambda g: (-mentions[g.name], g.name))[:limit]
    kept = {g.name for g in ranked}
    related: dict[str, list[Relation]] = defaultdict(list)
    for (a, b), weight in pairs.most_common():
        if a in kept and b in kept:
            related[a].append(Relation(name=b, weight=weight))
            related[b].append(Relation(name=a, weight=weight))
    characters = []
    for rank, group in enumerate(ranked):
        name = max(group.aliases, key=lambda a: (counts[a], len(a)))
        role = "主角" if rank == 0 else "主要角色" if rank < 5 else "配角"
        characters.append(
            Character(
                name=name,
                aliases=sorted(group.aliases - {name}),
                mentions=mentions[group.name],
                speeches=group.speeches,
                first_chapter=first.get(group.name, 1),
                role=role,
                relations=related[group.name][:5],
            )
        )
    return characters
