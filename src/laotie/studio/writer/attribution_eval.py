"""Score speaker attribution against hand-checked lines: accuracy where a speaker is named,
and the share of lines that get one.

The fixture (``tests/studio/fixtures/speakers.json``) holds excerpts of the four classical
novels with every quote's true speaker, and the names the text uses for each person; a named
speaker is right when it is one of those names. ``laotie bench speakers`` and the tests use
this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from laotie.studio.writer.parse import normalize
from laotie.studio.writer.speakers import Attributed

AttributeFn = Callable[[Sequence[str]], list[Attributed]]
#: quotes are matched on their first characters, punctuation removed
MATCH_CHARS = 6


@dataclass
class AttributionScore:
    """How many fixture lines there are, how many got a speaker, how many of those are right."""

    lines: int = 0
    named: int = 0
    correct: int = 0

    @property
    def share_named(self) -> float:
        """Share of lines given a speaker (0-1)."""
        return self.named / self.lines if self.lines else 0.0

    @property
    def accuracy(self) -> float:
        """Share of named lines whose speaker is right (0-1)."""
        return self.correct / self.named if self.named else 0.0

    def add(self, other: AttributionScore) -> None:
        """Accumulate ``other`` into this score."""
        self.lines += other.lines
        self.named += other.named
        self.correct += other.correct


def load_fixture(path: Path) -> dict[str, Any]:
    """The fixture's JSON (excerpts, people)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _key(text: str) -> str:
    return re.sub(r"\W", "", text)[:MATCH_CHARS]


def score_excerpt(
    excerpt: dict[str, Any], people: dict[str, list[str]], attribute: AttributeFn
) -> AttributionScore:
    """Attribute one excerpt and score it against its labelled lines."""
    found = [
        a
        for a in attribute([normalize(p) for p in excerpt["paragraphs"]])
        if a.unit.kind != "narration"
    ]
    score = AttributionScore()
    position = 0
    for line in excerpt["lines"]:
        score.lines += 1
        key = _key(line["quote"])
        match = next(
            (k for k in range(position, len(found)) if _key(found[k].unit.text) == key), None
        )
        if match is None:
            continue  # the parser did not see this quote: counted as not named
        position = match + 1
        speaker = found[match].speaker
        if speaker:
            score.named += 1
            truth = line["speaker"]
            score.correct += speaker == truth or speaker in people.get(truth, [])
    return score


def score_novel(
    fixture: dict[str, Any], novel: str, attribute: AttributeFn, *, subset: str | None = None
) -> AttributionScore:
    """The score of every excerpt of ``novel`` (``subset``: only ``dev`` or ``heldout``)."""
    total = AttributionScore()
    people = fixture["people"][novel]
    for excerpt in fixture["excerpts"]:
        if excerpt["novel"] == novel and subset in (None, excerpt.get("set")):
            total.add(score_excerpt(excerpt, people, attribute))
    return total
