"""Map episodes to the source: contiguous slices of paragraphs, snapped to chapter ends."""

from __future__ import annotations

from dataclasses import dataclass

from laotie.core.errors import InvalidInput
from laotie.studio.writer.model import Novel

MAX_EPISODES = 300
#: a boundary moves to a chapter end when one lies within this share of an episode's size
SNAP_SHARE = 0.35


@dataclass(frozen=True)
class Passage:
    """One paragraph of the source: its chapter, its 0-based position there, its text."""

    chapter: int
    text: str
    index: int = 0


@dataclass(frozen=True)
class Segment:
    """The slice of source an episode adapts: contiguous paragraphs."""

    episode: int
    passages: list[Passage]

    @property
    def chapters(self) -> list[int]:
        """Source chapters the episode draws on, ascending."""
        return sorted({p.chapter for p in self.passages})

    @property
    def char_count(self) -> int:
        """Characters of source text in the slice."""
        return sum(len(p.text) for p in self.passages)


def plan_segments(novel: Novel, episodes: int) -> list[Segment]:
    """Split the novel into ``episodes`` contiguous slices of about equal size."""
    passages = [
        Passage(c.number, p, index) for c in novel.chapters for index, p in enumerate(c.paragraphs)
    ]
    limit = min(MAX_EPISODES, len(passages) // 3)
    if episodes < 1 or episodes > limit:
        raise InvalidInput(
            f"episodes must be between 1 and {limit} for this novel", field="episodes", limit=limit
        )
    ends, total = [], 0
    chapter_end = set()
    for index, passage in enumerate(passages):
        total += len(passage.text)
        ends.append(total)
        if index + 1 == len(passages) or passages[index + 1].chapter != passage.chapter:
            chapter_end.add(index)
    size = total / episodes
    cuts: list[int] = []
    start = 0
    for k in range(1, episodes):
        ideal = k * size
        remaining = episodes - k
        last_allowed = len(passages) - remaining * 3 - 1
        options = range(start + 2, last_allowed + 1)
        if not options:
            raise InvalidInput("too many episodes for this novel", field="episodes", limit=limit)
        nearest = min(options, key=lambda i: abs(ends[i] - ideal))
        snapped = [
            i for i in options if i in chapter_end and abs(ends[i] - ideal) <= SNAP_SHARE * size
        ]
        cut = min(snapped, key=lambda i: abs(ends[i] - ideal)) if snapped else nearest
        cuts.append(cut)
        start = cut + 1
    segments = []
    lo = 0
    for number, hi in enumerate([*cuts, len(passages) - 1], start=1):
        segments.append(Segment(number, passages[lo : hi + 1]))
        lo = hi + 1
    return segments
