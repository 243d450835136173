"""Speaker attribution: accuracy where a speaker is named, and the share named, per novel.

The hand-checked fixture ``tests/studio/fixtures/speakers.json`` (420 quotes from the four
classical novels; ``dev`` excerpts were used while writing the rules, ``heldout`` ones were
labelled afterwards and never tuned on) is attributed by the writer's engine
(``studio/writer/speakers.py``, with the cast of the whole novel) and, as the peer in the same
run, by the rule the writer used before: the word right before the speech verb
(``characters.speaker_token``). Needs ``../shared/data/novels`` for the casts.

Run it with ``laotie bench speakers``. Results go to ``benchmarks/results/speakers.json``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.studio.writer.attribution_eval import AttributionScore, load_fixture, score_novel
from laotie.studio.writer.characters import count_speakers, extract_characters, speaker_token
from laotie.studio.writer.parse import read_novel, units
from laotie.studio.writer.speakers import Attributed, NameIndex, attribute, name_index

ROOT = Path(__file__).resolve().parents[1]
NOVELS = ROOT / ".." / "shared" / "data" / "novels"
FIXTURE = ROOT / "tests" / "studio" / "fixtures" / "speakers.json"
RESULTS = ROOT / "benchmarks" / "results" / "speakers.json"


def word_before_verb(paragraphs: Sequence[str], names: NameIndex) -> list[Attributed]:
    """The peer: the word right before the speech verb, if it is a known name or role."""
    found = []
    for index, paragraph in enumerate(paragraphs):
        for unit in units(paragraph):
            if unit.kind == "narration":
                continue
            token = speaker_token(unit.clause) if unit.clause else None
            known = token in names.canonical or token in names.roles
            speaker = names.resolve(token) if token and known else None
            found.append(Attributed(unit, speaker, "verb", index))
    return found


def _row(
    novel: str, subset: str, engine: AttributionScore, peer: AttributionScore
) -> dict[str, Any]:
    return {
        "novel": novel,
        "set": subset,
        "lines": engine.lines,
        "named": engine.named,
        "correct": engine.correct,
        "share_named": round(engine.share_named, 3),
        "accuracy": round(engine.accuracy, 3),
        "peer_named": peer.named,
        "peer_correct": peer.correct,
        "peer_share_named": round(peer.share_named, 3),
        "peer_accuracy": round(peer.accuracy, 3),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """Score the engine and the peer on the fixture, print and save the figures."""
    console = Console()
    fixture = load_fixture(FIXTURE)
    novels = sorted(fixture["people"])
    if not all((NOVELS / f"{n}.txt").is_file() for n in novels):
        console.print(f"[yellow]novels not under {NOVELS}; nothing to measure[/]")
        return {"skipped": f"no novels under {NOVELS}"}
    rows = []
    totals = {s: (AttributionScore(), AttributionScore()) for s in ("dev", "heldout", "all")}
    for novel_name in novels[:1] if quick else novels:
        novel = read_novel(NOVELS / f"{novel_name}.txt")
        speakers = count_speakers(novel)
        names = name_index(extract_characters(novel, speakers=speakers), speakers)
        ours = partial(attribute, names=names)
        baseline = partial(word_before_verb, names=names)
        for subset in ("dev", "heldout"):
            engine = score_novel(fixture, novel_name, ours, subset=subset)
            peer = score_novel(fixture, novel_name, baseline, subset=subset)
            rows.append(_row(novel_name, subset, engine, peer))
            for key in (subset, "all"):
                totals[key][0].add(engine)
                totals[key][1].add(peer)
    for subset, (engine, peer) in totals.items():
        rows.append(_row("all four", subset, engine, peer))
    table = Table(title="speaker attribution on hand-checked lines (peer: word before the verb)")
    for column in ("novel", "set", "lines", "named", "accuracy", "peer named", "peer accuracy"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["novel"],
            row["set"],
            str(row["lines"]),
            f"{row['share_named']:.0%}",
            f"{row['accuracy']:.3f}",
            f"{row['peer_share_named']:.0%}",
            f"{row['peer_accuracy']:.3f}",
        )
    console.print(table)
    result = {
        "area": "speakers",
        "date": datetime.now(UTC).date().isoformat(),
        "hardware": hardware(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "quick": quick,
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    target = RESULTS.with_name("speakers_quick.json") if quick else RESULTS
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return result
