"""The adaptation's data model: novel, characters, bible, outline, scripts (pydantic).

The JSON form of ``Adaptation`` is the source of truth; Markdown and DOCX are views of it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: the four end-hook types of the micro-drama format
END_HOOK_TYPES = ("冲突卡点", "信息反转", "危机升级", "情感抉择")
EndHookType = Literal["冲突卡点", "信息反转", "危机升级", "情感抉择"]
EngineName = Literal["offline", "llm"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Chapter(_Model):
    """One chapter of the source: its 1-based number, title and paragraphs."""

    number: int = Field(ge=1)
    title: str
    paragraphs: list[str]

    @property
    def char_count(self) -> int:
        """Characters of text in the chapter's paragraphs."""
        return sum(len(p) for p in self.paragraphs)


class Novel(_Model):
    """A parsed novel."""

    title: str
    chapters: list[Chapter]

    @property
    def char_count(self) -> int:
        """Characters of text in all chapters."""
        return sum(c.char_count for c in self.chapters)


class Relation(_Model):
    """A co-occurrence relationship: ``weight`` paragraphs mention both characters."""

    name: str
    weight: int = Field(ge=1)


class Character(_Model):
    """A character found in the source; ``mentions`` counts every alias."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    mentions: int = Field(ge=0)
    speeches: int = Field(ge=0, default=0)
    first_chapter: int = Field(ge=1)
    role: str = "配角"
    relations: list[Relation] = Field(default_factory=list)


class ArcBeat(_Model):
    """One act of the main arc, mapped to source chapters and episodes."""

    act: str
    chapters: list[int]
    episodes: list[int]
    summary: str


class Bible(_Model):
    """The story bible: logline, characters with roles, main arc, world."""

    title: str
    logline: str
    characters: list[Character]
    main_arc: list[ArcBeat]
    world: str
    places: list[str] = Field(default_factory=list)


class EndHook(_Model):
    """The cliffhanger an episode ends on, and the episode that pays it off."""

    type: EndHookType
    text: str = Field(min_length=1)
    paid_off_in: int | None = None


class EpisodeOutline(_Model):
    """One episode of the outline (1-3 minutes), mapped to source chapters."""

    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    source_chapters: list[int] = Field(min_length=1)
    hook: str = Field(min_length=1)
    conflict: str = Field(min_length=1)
    twist: str = Field(min_length=1)
    payoff: str = Field(min_length=1)
    pays_off_hook_of: int | None = None
    end_hook: EndHook
    hook_strength: float = Field(ge=0)
    mini_climax: bool = False
    paywall: bool = False


class Line(_Model):
    """A script line: ``action`` (stage direction) or ``dialogue`` (speaker says text)."""

    kind: Literal["action", "dialogue"]
    text: str = Field(min_length=1)
    speaker: str | None = None
    start_s: float = Field(ge=0, default=0.0)
    duration_s: float = Field(gt=0, default=1.0)


class Scene(_Model):
    """A scene: heading parts (内/外, 日/夜, place) and its lines."""

    number: int = Field(ge=1)
    interior: Literal["内", "外"]
    time: Literal["日", "夜"]
    place: str = Field(min_length=1)
    lines: list[Line]
    #: where the scene starts in the source (1-based chapter, 0-based paragraph), if known
    source_chapter: int | None = Field(default=None, ge=1)
    source_paragraph: int | None = Field(default=None, ge=0)

    def heading(self, episode: int) -> str:
        """The scene heading as printed, e.g. ``3-1 外 日 花果山``."""
        return f"{episode}-{self.number} {self.interior} {self.time} {self.place}"


class Script(_Model):
    """One episode's script; ``duration_s`` is estimated from Mandarin speaking rate."""

    episode: int = Field(ge=1)
    title: str
    scenes: list[Scene]
    duration_s: float = Field(ge=0)

    @property
    def lines(self) -> list[Line]:
        """All lines of all scenes in order."""
        return [line for scene in self.scenes for line in scene.lines]


class Adaptation(_Model):
    """A whole adaptation: what was adapted, how, and the AIGC label; JSON source of truth."""

    format_version: int = 1
    title: str
    source_file: str
    source_chars: int
    engine: EngineName
    draft_notice: str
    aigc_notice: str
    AIGC: dict[str, str]
    bible: Bible
    outline: list[EpisodeOutline]
    scripts: list[Script]
    usage: dict[str, int] = Field(default_factory=dict)
