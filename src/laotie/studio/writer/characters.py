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
from laotie.studio.writer.people import (
    SURNAMES,
    is_kinship,
    jieba_tags,
    non_person_reason,
    surname_of,
)

_SPEECH_TAIL = re.compile(r"(?:道|曰|说|问|叫|喝|答|骂|嚷|笑|哭|叹|声)+[：:]?$")
#: adverbs, prepositions and particles between a name and its speech verb
_ADVERB_TAGS = {"d", "ad", "p", "c", "u", "y", "uj", "ul", "uz", "ug", "uv", "ud", "zg", "f", "m"}
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
    "王子",
    "童子",
    "道童",
    "仙童",
    "家僮",
    "金刚",
    "婆婆",
    "祖师",
    "揭谛",
    "天将",
    "天兵",
    "力士",
    "判官",
    "夫人",
    "头领",
    "知府",
    "太尉",
    "太公",
    "天尊",
    "罗汉",
    "星官",
    "真君",
    "小龙",
    "老龙",
}
#: a word ending in one of these is an action (前奏, 来报, 罗拜), not a speaker
_VERB_END = "奏报拜闻言叫喊说问答请告禀排酒声口上下来去了着过得毕罢完见里内中外前后边时象相出入众大"
_COURTESY = re.compile(r"(?:复姓(..)|姓(.))，?名(.{1,2}?)，?表?字(..)")
MIN_SPEECHES = 3
#: surnames that before a name are mostly prepositions or adverbs (向袭人, 从宝玉)
_FUNCTION_SURNAMES = set("向从连后边于和同对都能相将把见给时应成常安明方")
#: a "given name" ending in one of these is a title (唐太宗, 汉献帝)
_TITLE_END = "宗王帝皇后主公君"
#: a surname must prefix a given name this often before the two are one person
SURNAME_EVIDENCE = 5
#: a dictionary common noun must introduce at least this share of its mentions as speech
MIN_NOUN_SPEECH_SHARE = 0.12


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    import jieba
    import jieba.posseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba, jieba.posseg.dt.word_tag_tab


def speaker_token(clause: str) -> str | None:
    """The name-like word right before the speech verb of ``clause`` (None if none).

    Returns a person's name, a speaking role (小妖, 众人, 那怪) or None; body parts, places,
    verbs and idiom fragments (满心欢 of 满心欢喜) are never returned.
    """
    jieba, _ = _jieba()
    tags = jieba_tags()
    tail = _SPEECH_TAIL.sub("", clause.strip().rstrip("：: "))[-12:]
    servant_wife = tail.endswith("家的")
    words = [w for w in jieba.cut(tail[:-2] if servant_wife else tail) if w.strip()]
    while words and (words[-1] in _STOP or tags.get(words[-1], "") in _ADVERB_TAGS):
        if tags.get(words[-1]) is None and words[-1][-1] in _TRAILING and len(words[-1]) > 2:
            words[-1] = words[-1][:-1]  # 宝玉笑: an unknown word with the manner glued on
            continue
        words.pop()
    if not words:
        return None
    word = words[-1]
    while len(word) > 2 and word[-1] in _TRAILING and tags.get(word) is None:
        word = word[:-1]
    if servant_wife:
        word += "家的"
    elif len(word) == 1 and len(words) >= 2 and words[-2] in ("那", "这"):
        return "那" + word  # 那怪道 / 那汉道: a role the narration points at
    if len(word) < 2 or len(word) > 5 or word in _STOP or word[0] in "向对与和同问叫":
        return None
    if word[-1] in _VERB_END and word not in GENERIC_ROLES:
        return None
    reason = non_person_reason(word)
    return word if reason in (None, "group", "bare title") else None


@dataclass
class _Group:
    name: str
    aliases: set[str] = field(default_factory=set)
    speeches: int = 0


def _merge_aliases(counts: Counter[str], text: str) -> list[_Group]:
    """Group names of one person, on evidence in the text only (courtesy names, surnames)."""
    counts = Counter(counts)
    for compound, surname, given, courtesy in set(_COURTESY.findall(text)):
        full = (compound or surname) + given
        linked = [n for n in (full, courtesy, (compound or surname) + courtesy) if n in counts]
        if linked:
            # 姓刘名备，字玄德: the full name and the courtesy name are one person
            for name in (full, courtesy):
                counts.setdefault(name, 0)
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

    for compound, surname, given, courtesy in set(_COURTESY.findall(text)):
        full = (compound or surname) + given
        for alias in (courtesy, (compound or surname) + courtesy):
            if full in counts and alias in counts:
                union(full, alias)
    declared = {n for c in _COURTESY.findall(text) for n in ((c[0] or c[1]) + c[2], c[3])}
    by_surname: dict[str, list[str]] = defaultdict(list)
    for name in counts:
        if surname_of(name) or name in GENERIC_ROLES or len(name) != 2 or is_kinship(name):
            continue
        if name in declared or name[-1] in _TITLE_END:
            continue  # a declared courtesy name is its own person; 太宗 is a title
        # 孙悟空, 孙行者, 孙大圣: given names the text often prefixes with one surname
        prefixes = Counter(
            m.group(1) for m in re.finditer(f"(.){re.escape(name)}", text) if m.group(1) in SURNAMES
        )
        ranked = prefixes.most_common(2)
        surname, seen = ranked[0] if ranked else ("", 0)
        runner_up = ranked[1][1] if len(ranked) > 1 else 0
        # 向/从/连 are surnames too, but before a name they are prepositions
        dominant = seen >= SURNAME_EVIDENCE and seen >= 2 * runner_up
        if dominant and surname not in _FUNCTION_SURNAMES:
            by_surname[surname].append(name)
    for surname, names in by_surname.items():
        full_names = [n for n in counts if n[0] == surname and n[1:] in names]
        for other in names[1:] + full_names:
            union(names[0], other)
    for short in counts:
        longer = [n for n in counts if n != short and (n.endswith(short) or n == short + "儿")]
        if len(longer) == 1 and short not in GENERIC_ROLES:
            long_name = longer[0]
            surname_prefix = len(long_name) == len(short) + 1 and long_name[0] in SURNAMES
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
    counts = Counter(
        {
            n: c
            for n, c in speakers.items()
            if c >= floor and n not in GENERIC_ROLES and non_person_reason(n) is None
        }
    )
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


def minor_characters(novel: Novel, names: list[str]) -> list[Character]:
    """Bible entries (配角) for speakers of the scripts outside the main cast."""
    text_by_chapter = [(c.number, "".join(c.paragraphs)) for c in novel.chapters]
    found = []
    for name in names:
        chapters = [number for number, text in text_by_chapter if name in text]
        if not chapters:
            continue
        mentions = sum(text.count(name) for _, text in text_by_chapter)
        found.append(
            Character(name=name, mentions=mentions, first_chapter=chapters[0], role="配角")
        )
    return sorted(found, key=lambda c: (-c.mentions, c.name))
