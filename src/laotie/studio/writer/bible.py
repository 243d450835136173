"""The story bible: logline, characters with roles, main arc in four acts, world."""

from __future__ import annotations

from collections import Counter

from laotie.studio.writer.model import ArcBeat, Bible, Character, Novel, Script
from laotie.studio.writer.offline import FALLBACK_PLACE
from laotie.studio.writer.segments import Segment

#: the four acts and the share of episodes each takes
ACTS = (("开端", 0.15), ("发展", 0.45), ("高潮", 0.25), ("结局", 0.15))


def _act_ranges(episodes: int) -> list[list[int]]:
    bounds, start = [], 1
    for index, (_, share) in enumerate(ACTS):
        end = (
            episodes if index == len(ACTS) - 1 else max(start, round(start - 1 + share * episodes))
        )
        bounds.append(list(range(start, min(end, episodes) + 1)))
        start = min(end, episodes) + 1
    return bounds


def build_bible(
    novel: Novel, characters: list[Character], segments: list[Segment], scripts: list[Script]
) -> Bible:
    """A bible from the parsed novel, its characters and the episodes' places (extractive)."""
    beats = []
    for (act, _), episodes in zip(ACTS, _act_ranges(len(segments)), strict=True):
        if not episodes:
            continue
        chapters = sorted({c for n in episodes for c in segments[n - 1].chapters})
        first = novel.chapters[chapters[0] - 1].title
        last = novel.chapters[chapters[-1] - 1].title
        summary = f"从「{first}」到「{last}」" if first != last else f"「{first}」"
        beats.append(ArcBeat(act=act, chapters=chapters, episodes=episodes, summary=summary))
    counts = Counter(s.place for sc in scripts for s in sc.scenes if s.place != FALLBACK_PLACE)
    places = [p for p, _ in counts.most_common(12)]
    leads = [c.name for c in characters[:3]]
    if leads:
        partners = "、".join(leads[1:])
        who = f"{leads[0]}与{partners}" if partners else leads[0]
    else:
        who = "众人"
    logline = (
        f"《{novel.title}》{len(segments)}集微短剧：{who}的故事，"
        f"从「{novel.chapters[0].title}」一路到「{novel.chapters[-1].title}」。"
    )
    pairs = []
    for character in characters[:5]:
        for relation in character.relations[:1]:
            pairs.append(f"{character.name}—{relation.name}（同段出现{relation.weight}次）")
    world = (
        f"主要场景：{'、'.join(places[:8]) or '未识别'}。"
        f"原著共{len(novel.chapters)}章、{novel.char_count}字；"
        f"核心人物关系：{'；'.join(pairs) or '未识别'}。"
    )
    return Bible(
        title=novel.title,
        logline=logline,
        characters=characters,
        main_arc=beats,
        world=world,
        places=places,
    )
