"""Who says each quote: attribution from the text's own cues, or ``None`` (unknown).

A quote is introduced by a clause (``凤姐儿笑道：``, ``玄德在马上谓孔明曰：``). The speaker is
the named character in subject position of that clause nearest the speech verb: a name
preceded by an address marker (``对``/``向``/``谓``/``问``/``叫``…) is the listener, a name after
another verb is an object. A one-character subject (``权曰``, ``云大呼曰``) is the given name of
the one full name ending in it mentioned shortly before. A clause without any name
(``又问：``, ``遂下令曰：``) continues the previous speaker of the paragraph, or its narrated
subject. A quote with no clause at all, inside a two-person exchange, goes to the one who
spoke before last. Anything else is unknown: a wrong name is worse than none.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from laotie.studio.writer.model import Character
from laotie.studio.writer.parse import Unit, units
from laotie.studio.writer.people import (
    GROUPS,
    SURNAMES,
    is_name_tagged,
    is_titled,
    jieba_tags,
    non_person_reason,
    surname_of,
)

#: the speech verb at the end of a clause, with the manner words glued to it
_VERB_TAIL = re.compile(
    r"(?:(?:冷笑|笑|问|叫|喝|答|骂|嚷|哭|叹|念|回|禀|奏|告|说|喊|劝|应|谢|泣|拜|呼|喜|怒)+"
    r"(?:道|曰|说|云|言)?|道|曰|说|云|言|叫声|叫一声|喝一声|念声|吩咐|分付|报|寻思|心想|暗想|想道|想)[：:]?\s*$"
)
#: words between a subject and its speech verb that are not names (manner, adverbs)
_LEAD = re.compile(
    r"^(?:却说|话说|且说|再说|话表|却表|只见|忽见|又见|但见|当时|当下|此时|原来|正是|于是|遂|乃|便|又|因|却|忽|连忙|慌忙|急忙|忙|急|"
    r"正|早|就|也|亦|即|方|才|只|还|先|见|听得|听了|听说|闻言|一时|少时|须臾|后来|次日|随即)+"
)
#: a name right after one of these is the listener or an object, not the speaker
_ADDRESSEE = (
    "对",
    "向",
    "谓",
    "问",
    "叫",
    "唤",
    "告",
    "请",
    "劝",
    "拜",
    "骂",
    "喝",
    "教",
    "令",
    "吩咐",
    "分付",
    "嘱",
    "报",
    "禀",
    "与",
    "和",
    "同",
    "跟",
    "望",
    "指",
    "责",
    "见",
    "看",
    "瞧",
    "推",
    "拉",
    "扶",
    "搀",
    "被",
    "把",
    "将",
    "给",
    "替",
    "让",
    "使",
    "差",
    "遣",
    "命",
    "留",
    "引",
    "随",
    "送",
    "迎",
    "接",
    "赶",
    "追",
    "求",
    "奏",
    "答",
    "劝",
    "笑",
    "顾",
    "叱",
)
#: a nameless clause with one of these is someone else reporting (a messenger): unknown
_REPORT = re.compile(r"报|回说|回道|有人|人说|众人|一齐|齐声|都道|都说")
_SUBJECT_AFTER = re.compile(r"(?:那|这|只见|忽见|却说|话说|且说|原来|当时|说话间|中间)$")
_POINTED = re.compile(r"[那这](?:个|位|些)?(?=[\u4e00-\u9fff])")
#: common nouns for people end in one of these (庄客, 小妖, 老者, 解粮官)
_ROLE_END = re.compile(
    r"(?:人|官|客|妖|僧|兵|卒|士|将|吏|仆|婆|媳妇|汉|怪|魔|王|者|翁|妪|童|女|儿|子|娘|姐|爷|公|夫|生|"
    r"师|帅|使|丁|医|家|丫头|鬟)$"
)
_GROUP = ("等", "们", "众", "一齐", "齐")
_SUBCLAUSE = re.compile(r"[，。；！？、：,;!?\s]")
#: a word must introduce this many speeches to be a speaking name outside the cast
MIN_NAME_SPEECHES = 3
#: a word that introduces this many speeches is a name even without other evidence
STRONG_SPEECHES = 8
#: a clause without a subject continues the last speaker when it is this short (characters)
CONTINUATION_CHARS = 4
#: how far back (characters) a one-character subject is looked up as a given name
GIVEN_NAME_LOOKBACK = 2_000
#: a two-person exchange: quotes without a clause alternate within this many quotes
TURN_WINDOW = 4


@dataclass(frozen=True)
class Attributed:
    """A quote and who says it (``None``: unknown); ``cue`` says how it was decided."""

    unit: Unit
    speaker: str | None
    cue: str
    paragraph: int


class NameIndex:
    """Names a speaker may be called (aliases -> canonical name) and speaking roles."""

    def __init__(self, canonical: dict[str, str], roles: set[str]) -> None:
        self.canonical = canonical
        self.roles = {r for r in roles if r not in canonical}
        words = sorted(set(canonical) | self.roles, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, words))) if words else None

    def mentions(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, word) of every name or role in ``text``, left to right."""
        if self._pattern is None:
            return []
        return [(m.start(), m.end(), m.group(0)) for m in self._pattern.finditer(text)]

    def resolve(self, word: str) -> str:
        """The canonical name of an alias, or the role itself."""
        return self.canonical.get(word, word)

    def given_name(self, char: str, context: str) -> str | None:
        """The one full name ending in ``char`` that ``context`` mentions (权 -> 孙权)."""
        found: set[str] = set()
        for match in re.finditer(re.escape(char), context):
            start = match.start()
            if context[start : start + 2] in self.canonical:
                continue  # 云 of 云长 is not a given name ending
            for size in (2, 1):
                full = context[max(0, start - size) : start + 1]
                if len(full) == size + 1 and (full in self.canonical or full[0] in SURNAMES):
                    found.add(full)
                    break
        known = {self.resolve(f) for f in found if f in self.canonical}
        return known.pop() if len(known) == 1 else None


def _is_addressed(text: str, start: int) -> bool:
    before = text[:start].rstrip("了着过")
    return before.endswith(_ADDRESSEE) and not before.endswith(("只见", "忽见", "又见", "但见"))


def _subject_like(piece: str, start: int) -> bool:
    """True when only connectives (or a demonstrative) stand before ``start`` in the piece."""
    head = piece[:start]
    return not head or _LEAD.fullmatch(head) is not None or _SUBJECT_AFTER.search(head) is not None


def _pieces(body: str) -> list[str]:
    return [p for p in _SUBCLAUSE.split(body) if p]


def speaker_from_clause(clause: str, names: NameIndex, context: str) -> tuple[str | None, str]:
    """Who a clause says speaks, and how it was found.

    Sub-clauses are read from the speech verb backwards: the first one with a subject
    decides. The cue is ``name``, ``role`` or ``given`` with a speaker; ``own`` when the
    clause has a subject that is nobody the index knows (unknown, and not a continuation);
    ``pronoun`` for 他/她; ``""`` when the clause has no subject at all.
    """
    body = _VERB_TAIL.sub("", re.sub(r"[“”\"「」]", "", clause).rstrip("：: "))
    tags = jieba_tags()
    for piece in reversed(_pieces(body)):
        found = [
            (start, word)
            for start, end, word in names.mentions(piece)
            if not _is_addressed(piece, start) and _subject_like(piece, start)
        ]
        if found and piece[piece.index(found[-1][1]) + len(found[-1][1]) :].startswith(_GROUP):
            return None, "own"  # 道人等 / 众人们: a group speaks
        if found:
            word = found[-1][1]
            return names.resolve(word), "name" if word in names.canonical else "role"
        rest = _LEAD.sub("", piece)
        if not rest:
            continue
        if rest[0] in "他她其":
            return None, "pronoun"
        pointed = _POINTED.match(rest)
        if pointed:
            # 那怪 / 那黑汉 / 那长老: a role the narration points at
            word = _first_word(rest[pointed.end() :])
            role = rest[: pointed.end()] + word if len(word) == 1 else word
            if len(word) == 1 or non_person_reason(word) in (None, "group", "bare title"):
                return names.resolve(role), "name" if role in names.canonical else "role"
        for size in (3, 2):
            if is_name_tagged(rest[:size]) and non_person_reason(rest[:size]) is None:
                return names.resolve(rest[:size]), "name"
        two = rest[:2]
        if len(rest) == 1 or tags.get(two, "") in ("", "nr"):
            # 权曰 / 云大呼曰 / 晃死战得脱: a one-character subject is a given name
            given = names.given_name(rest[0], context)
            if given:
                return given, "given"
        head = _first_word(rest)
        tag = tags.get(head, "")
        if head in names.roles:
            return head, "role"
        if tag.startswith(("v", "d", "p", "a", "c", "m", "q", "t", "f", "u", "r")) or head in "一":
            continue  # a verb or adverb opens the piece: its subject is further back
        return None, "own"
    return None, ""


def _first_word(text: str) -> str:
    import jieba

    for word in jieba.cut(text[:8]):
        return word
    return text[:1]


def _narrated_subject(text: str, names: NameIndex) -> str | None:
    """The last named character in subject position in ``text`` (narration before a quote)."""
    subject = None
    for piece in _pieces(text):
        for start, _, word in names.mentions(piece):
            known = word in names.canonical
            if known and _subject_like(piece, start) and not _is_addressed(piece, start):
                subject = names.resolve(word)
    return subject


def attribute(paragraphs: Sequence[str], names: NameIndex) -> list[Attributed]:
    """Every unit of ``paragraphs`` in order; quotes with their speaker or None (unknown)."""
    result: list[Attributed] = []
    context = ""
    narrated = True  # narration since the last quote breaks an exchange
    for index, paragraph in enumerate(paragraphs):
        previous: str | None = None
        narration = ""
        seen = context
        for unit in units(paragraph):
            seen += unit.clause + unit.text
            if unit.kind == "narration":
                narration += unit.text
                narrated = True
                result.append(Attributed(unit, None, "narration", index))
                continue
            speaker, cue = None, ""
            if unit.clause:
                recent = seen[-GIVEN_NAME_LOOKBACK:]
                speaker, cue = speaker_from_clause(unit.clause, names, recent)
                pieces = _pieces(_LEAD.sub("", _VERB_TAIL.sub("", unit.clause)))
                short = len(pieces) <= 1 and sum(map(len, pieces)) <= CONTINUATION_CHARS
                if speaker is None and cue == "" and short and not _REPORT.search(unit.clause):
                    speaker = previous or _narrated_subject(narration, names)
                    cue = "continues" if previous else "subject"
            elif unit.kind == "quote" and not narrated:
                speaker, cue = _turn(result, index), "turn"
            result.append(Attributed(unit, speaker, cue if speaker else "unknown", index))
            previous = speaker or previous
            narration = ""
            narrated = False
        context = (context + paragraph)[-GIVEN_NAME_LOOKBACK:]
    return result


def _turn(done: list[Attributed], paragraph: int) -> str | None:
    """In a two-person exchange, the speaker before last speaks again."""
    quotes = [a for a in done if a.unit.kind != "narration"]
    recent = [a for a in quotes[-TURN_WINDOW:] if a.paragraph >= paragraph - 2]
    speakers = [a.speaker for a in recent]
    if len(speakers) < 2 or None in speakers[-2:]:
        return None
    if len(set(speakers)) != 2 or speakers[-1] == speakers[-2]:
        return None
    return speakers[-2]


def name_index(characters: Sequence[Character], speakers: dict[str, int]) -> NameIndex:
    """The names and roles attribution knows: the cast's aliases and frequent speakers."""
    canonical = {c.name: c.name for c in characters}
    for character in characters:
        for alias in character.aliases:
            canonical.setdefault(alias, character.name)
    for word, count in sorted(speakers.items(), key=lambda item: len(item[0])):
        if count < MIN_NAME_SPEECHES or word in canonical or non_person_reason(word):
            continue
        if any(name in word for name in canonical):
            continue  # 贾母因 / 晁盖便: a known name with an adverb glued on
        evidence = is_name_tagged(word) or is_titled(word) or surname_of(word)
        if evidence or count >= STRONG_SPEECHES:
            canonical[word] = word
    return NameIndex(canonical, role_words(speakers, min_count=MIN_NAME_SPEECHES))


def role_words(counts: dict[str, int], *, min_count: int) -> set[str]:
    """Speaking roles (小妖, 庄客, 众人, 那汉): frequent speech subjects that are not names."""
    tags = jieba_tags()
    roles = set()
    for word, count in counts.items():
        if count < min_count:
            continue
        plain_noun = tags.get(word) == "n" and non_person_reason(word) is None
        person_noun = plain_noun and _ROLE_END.search(word) is not None
        if word in GROUPS or word.startswith(("那", "众")) or person_noun:
            roles.add(word)
    return roles
