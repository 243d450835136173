"""Turn source units into script lines: resolve speakers, trim speech, clean narration."""

from __future__ import annotations

import re
from dataclasses import dataclass

from laotie.studio.writer.characters import GENERIC_ROLES
from laotie.studio.writer.model import Character
from laotie.studio.writer.parse import sentences
from laotie.studio.writer.rules import intensity
from laotie.studio.writer.speakers import NameIndex

MAX_LINE_CHARS = 32
MIN_LINE_CHARS = 4
#: story-teller's connectives that do not belong in a stage direction
_LEAD = re.compile(r"^(?:却说|话说|且说|话表|却表|再说|且表|只见|但见|忽见|又见)+")
#: narrator formulas and verse markers: never a script line
_SKIP = re.compile(
    r"下回分解|诗曰|词曰|有诗为证|诗为证|正是|有分教|毕竟|看官|但见|怎见得|这回书|此回|列位|赞曰|"
    r"后人|作者|书中|按：|注："
)
#: a "narration" sentence in the first or second person is unquoted speech, not an action
_FIRST_PERSON = re.compile(r"我|你|俺|吾|汝|老孙|咱|尔等|小的")
_CLAUSE_BREAK = re.compile(r"[，、；：]")


@dataclass(frozen=True)
class Candidate:
    """A possible script line with its position in the episode's source and its score."""

    index: int
    kind: str
    text: str
    speaker: str | None
    names: frozenset[str]
    score: float
    paragraph: int


class Cast:
    """Resolves names in text to the bible's characters, and who may speak (``index``)."""

    def __init__(self, characters: list[Character], *, index: NameIndex | None = None) -> None:
        self.canonical = {c.name: c.name for c in characters}
        for character in characters:
            for alias in character.aliases:
                self.canonical.setdefault(alias, character.name)
        self.index = index or NameIndex(dict(self.canonical), set(GENERIC_ROLES))
        self.main = {c.name for c in characters if c.role in ("主角", "主要角色")}
        names = sorted(self.canonical, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, names))) if names else None

    def names_in(self, text: str) -> list[str]:
        """Canonical names mentioned in ``text``, in order of appearance."""
        if self._pattern is None:
            return []
        return [self.canonical[m.group(0)] for m in self._pattern.finditer(text)]


def trim_speech(text: str) -> str | None:
    """A speakable piece of a speech: whole sentences up to the line limit (None if none fit)."""
    text = text.replace("“", "").replace("”", "").replace("‘", "“").replace("’", "”").strip()
    kept = ""
    for sentence in sentences(text):
        if len(kept) + len(sentence) > MAX_LINE_CHARS:
            break
        kept += sentence
    if not kept:
        first = sentences(text)[0] if sentences(text) else text
        breaks = [m.end() for m in _CLAUSE_BREAK.finditer(first) if m.end() <= MAX_LINE_CHARS]
        if not breaks or breaks[-1] < 8:
            return None
        kept = first[: breaks[-1] - 1] + "……"
    kept = kept.lstrip("-—－·、，。；： ")
    if kept.endswith(("；", "：", "，", "、")):
        kept = kept[:-1] + "……"
    if kept.count("“") > kept.count("”"):
        kept += "”"
    return kept if len(kept) >= MIN_LINE_CHARS else None


def clean_action(sentence: str) -> str | None:
    """A stage direction from a narration sentence, or None if it is verse or narrator talk."""
    if _SKIP.search(sentence) or "“" in sentence or "”" in sentence:
        return None
    if _FIRST_PERSON.search(sentence) or "：" in sentence:
        return None
    if re.search(r"(?:道|曰|说|问)[。！？]?$", sentence):
        return None
    text = _LEAD.sub("", sentence.replace('"', "").strip()).strip("，、-—－ ")
    if not text or len(text) < 6 or len(text) > MAX_LINE_CHARS:
        return None
    if not text.endswith(("。", "！", "？", "……")):
        text = text.rstrip("；：") + "。"
    return text


def score(kind: str, text: str, names: frozenset[str], speaker: str | None, cast: Cast) -> float:
    """How much a line is worth keeping: speech, main characters and dramatic charge."""
    value = 2.0 if kind == "dialogue" else 0.8
    if speaker and speaker in cast.main:
        value += 1.5
    elif speaker and speaker in cast.canonical:
        value += 1.0
    if names & cast.main:
        value += 1.0
    elif names:
        value += 0.5
    elif kind == "action":
        value -= 0.6
    return value + min(3.0, 0.6 * intensity(text))
