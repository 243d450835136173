"""What a script editor checks beyond the format: who speaks, story order, hooks, length,
the paywall cliff-hanger, repetition. Each finding names the problem and costs points.

- **speakers**: every speaker is in the cast (a bible character, an alias, or a role such as
  小妖/众人), is on stage by the episode's chapters (not before the character's first
  appearance), and does not call out their own name;
- **continuity**: scenes keep the source's order and one story line (at most two consecutive
  chapters, no glued scenes from far apart);
- **hooks**: the end hook is a moment of suspense from the story (a question, a threat, a
  reveal), never a storyteller's chapter closer (且听下回分解);
- **length**: within ``LENGTH_TOLERANCE`` of the target seconds;
- **repetition**: no line or end hook reused from another episode.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from laotie.studio.writer.characters import GENERIC_ROLES
from laotie.studio.writer.model import Adaptation, Character, EpisodeOutline, Line, Script
from laotie.studio.writer.people import GROUPS
from laotie.studio.writer.rules import (
    PAYWALL_MIN_SUSPENSE,
    STOCK_CLOSER,
    TARGET_EPISODE_S,
    line_seconds,
    suspense,
)

#: an episode may stray this share from the target length before it costs points
LENGTH_TOLERANCE = 0.4
#: scenes of one episode may span at most this many chapters (a story line, not a collage)
MAX_CHAPTER_SPAN = 2
NARRATOR = "旁白"
#: a role speaks in a scene without being a bible character (庄客, 小妖, 那汉, 众人)
_ROLE = re.compile(
    r"^(?:那|这|众|小|老|两个|一个)|(?:人|官|客|妖|怪|僧|兵|卒|士|将|吏|仆|婆|汉|魔|王|者|翁|"
    r"妪|童|女|儿|子|娘|爷|公|夫|使|丁|医|家的|丫头|鬟|精|神|仙|帝|后)$"
)


@dataclass(frozen=True)
class Finding:
    """One problem a script editor would mark, with the points it costs."""

    check: str
    message: str
    penalty: int


class CastBook:
    """The bible's characters by every name they go by."""

    def __init__(self, characters: Iterable[Character]) -> None:
        self.by_name: dict[str, Character] = {}
        for character in characters:
            for name in (character.name, *character.aliases):
                self.by_name.setdefault(name, character)

    def known(self, speaker: str) -> bool:
        """True for a character, an alias, a role or a group."""
        return (
            speaker in self.by_name
            or speaker in GENERIC_ROLES
            or speaker in GROUPS
            or speaker == NARRATOR
            or _ROLE.search(speaker) is not None
        )


def _speaker_findings(script: Script, entry: EpisodeOutline, cast: CastBook) -> list[Finding]:
    dialogue = [ln for ln in script.lines if ln.kind == "dialogue" and ln.speaker != NARRATOR]
    if not dialogue:
        return []
    last_chapter = max(entry.source_chapters)
    unknown, early, self_named = Counter[str](), Counter[str](), Counter[str]()
    for line in dialogue:
        speaker = line.speaker or ""
        character = cast.by_name.get(speaker)
        if not cast.known(speaker):
            unknown[speaker] += 1
        elif character and character.first_chapter > last_chapter:
            early[speaker] += 1
        if character and _calls_self(line, character):
            self_named[speaker] += 1
    bad = sum(unknown.values()) + sum(early.values()) + sum(self_named.values())
    if not bad:
        return []
    share = bad / len(dialogue)
    penalty = min(50, round(80 * share)) if share >= 0.05 else 5
    parts = []
    if unknown:
        parts.append("不在人物表：" + "、".join(unknown))
    if early:
        parts.append(
            "尚未登场："
            + "、".join(f"{n}（第{cast.by_name[n].first_chapter}回才出场）" for n in early)
        )
    if self_named:
        parts.append("自己叫自己的名字：" + "、".join(self_named))
    return [Finding("speakers", f"{bad}句台词的说话人有误（{'；'.join(parts)}）", penalty)]


def _calls_self(line: Line, character: Character) -> bool:
    names = "|".join(map(re.escape, sorted({character.name, *character.aliases}, key=len)[::-1]))
    return re.search(rf"(?:^|[，。！？])(?:{names})[，！？]", line.text) is not None


def _continuity_findings(script: Script, entry: EpisodeOutline) -> list[Finding]:
    positions = [
        (scene.source_chapter, scene.source_paragraph or 0)
        for scene in script.scenes
        if scene.source_chapter is not None
    ]
    findings = []
    if len(positions) == len(script.scenes) and positions != sorted(positions):
        order = "、".join(f"第{c}回" for c, _ in positions)
        findings.append(Finding("continuity", f"场景顺序与原著不符（{order}）", 35))
    chapters = sorted(set(entry.source_chapters) | {c for c, _ in positions})
    if chapters and chapters[-1] - chapters[0] >= MAX_CHAPTER_SPAN:
        spread = "、".join(str(c) for c in chapters)
        findings.append(
            Finding("continuity", f"拼贴：一集的场景取自相隔的第{spread}回，不是一条故事线", 35)
        )
    return findings


def _hook_findings(script: Script, entry: EpisodeOutline) -> list[Finding]:
    end = entry.end_hook.text
    last = script.lines[-1] if script.lines else None
    if STOCK_CLOSER.search(end):
        return [Finding("hook", f"结尾钩子是章回套话而非剧情悬念：{end[:30]}", 45)]
    if last is not None and suspense(last.text, dialogue=last.kind == "dialogue") == 0:
        return [Finding("hook", f"结尾没有悬念（无疑问、威胁或揭示）：{end[:30]}", 15)]
    return []


def _length_findings(script: Script) -> list[Finding]:
    seconds = sum(line_seconds(ln.text, kind=ln.kind) for ln in script.lines)
    if abs(seconds - TARGET_EPISODE_S) > LENGTH_TOLERANCE * TARGET_EPISODE_S:
        return [Finding("length", f"时长{seconds:.0f}秒，偏离目标{TARGET_EPISODE_S:.0f}秒", 10)]
    return []


def _repetition_findings(script: Script, seen: dict[str, int]) -> list[Finding]:
    reused = Counter(
        seen[ln.text] for ln in script.lines if seen.get(ln.text, script.episode) != script.episode
    )
    if not reused:
        return []
    where = "、".join(f"第{n}集" for n in sorted(reused))
    return [Finding("repetition", f"{sum(reused.values())}句台词与{where}重复", 15)]


def edit_episodes(adaptation: Adaptation) -> dict[int, list[Finding]]:
    """Every episode's editor findings, by episode number."""
    cast = CastBook(adaptation.bible.characters)
    seen: dict[str, int] = {}
    found: dict[int, list[Finding]] = {}
    for entry, script in zip(adaptation.outline, adaptation.scripts, strict=False):
        findings = [
            *_speaker_findings(script, entry, cast),
            *_continuity_findings(script, entry),
            *_hook_findings(script, entry),
            *_length_findings(script),
            *_repetition_findings(script, seen),
        ]
        for line in script.lines:
            seen.setdefault(line.text, script.episode)
        found[entry.number] = findings
    return found


def paywall_finding(adaptation: Adaptation) -> Finding | None:
    """A finding when the first paywall episode does not end on a real cliff-hanger."""
    for entry, script in zip(adaptation.outline, adaptation.scripts, strict=False):
        if entry.paywall and script.lines:
            last = script.lines[-1]
            strength = suspense(last.text, dialogue=last.kind == "dialogue")
            if strength < PAYWALL_MIN_SUSPENSE:
                return Finding(
                    "paywall",
                    f"付费点第{entry.number}集的结尾不是真正的悬念：{last.text[:30]}",
                    30,
                )
            return None
    return None
