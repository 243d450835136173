"""Writer speed: offline adaptation of each shared novel into 80 episodes, in characters/s.

For every novel in ``../shared/data/novels`` the whole offline pipeline runs (read, parse,
characters, segments, outline, scripts, bible, review), timed end to end, and its result is
reviewed (it must pass). The peer, measured in the same run on the same text, is plain jieba
word segmentation of the novel (``jieba.cut``), the single library step every Chinese text
pipeline pays; the ratio says how many segmentation passes the whole adaptation costs.

Run it with ``laotie bench writer`` (``--quick``: the first 20 chapters, 12 episodes).
Results go to ``benchmarks/results/writer.json``.
"""

from __future__ import annotations

import json
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _machine import hardware
from rich.console import Console
from rich.table import Table

from laotie.studio.writer.characters import _jieba
from laotie.studio.writer.parse import decode, parse_novel
from laotie.studio.writer.pipeline import adapt_offline
from laotie.studio.writer.review import review

NOVELS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "novels"
RESULTS = Path(__file__).resolve().parent / "results" / "writer.json"
EPISODES = 80
QUICK_CHAPTERS, QUICK_EPISODES = 20, 12


def _head(text: str, chapters: int) -> str:
    starts = [m.start() for m in re.finditer(r"(?m)^\s*第\S{1,6}回", text)]
    return text[: starts[chapters]] if len(starts) > chapters else text


def run(quick: bool = False) -> dict[str, Any]:
    """Adapt every shared novel, time it against jieba segmentation, print and save figures."""
    console = Console()
    paths = sorted(NOVELS.glob("*.txt"))
    if not paths:
        console.print(f"[yellow]no novels under {NOVELS}; nothing to measure[/]")
        return {"skipped": f"no novels under {NOVELS}"}
    jieba, _ = _jieba()
    episodes = QUICK_EPISODES if quick else EPISODES
    rows = []
    for path in paths:
        text = decode(path.read_bytes())
        if quick:
            text = _head(text, QUICK_CHAPTERS)
        start = time.perf_counter()
        novel = parse_novel(text, title=path.stem)
        adaptation = adapt_offline(novel, episodes=episodes, source_file=path.name)
        adapt_s = time.perf_counter() - start
        verdict = review(adaptation)
        start = time.perf_counter()
        words = sum(1 for _ in jieba.cut(text))
        jieba_s = time.perf_counter() - start
        chars = novel.char_count
        rows.append(
            {
                "novel": path.stem,
                "chars": chars,
                "episodes": episodes,
                "adapt_s": round(adapt_s, 2),
                "chars_per_s": round(chars / adapt_s),
                "jieba_s": round(jieba_s, 2),
                "jieba_chars_per_s": round(chars / jieba_s),
                "ratio_vs_jieba": round((chars / adapt_s) / (chars / jieba_s), 3),
                "jieba_words": words,
                "review_passed": verdict.passed,
                "mean_score": round(verdict.mean_score, 1),
            }
        )
    table = Table(title=f"offline adaptation into {episodes} episodes (peer: jieba.cut)")
    for column in ("novel", "chars", "adapt s", "chars/s", "jieba chars/s", "ratio", "review"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row["novel"],
            f"{row['chars']:,}",
            f"{row['adapt_s']:.1f}",
            f"{row['chars_per_s']:,}",
            f"{row['jieba_chars_per_s']:,}",
            f"{row['ratio_vs_jieba']:.2f}",
            f"{'pass' if row['review_passed'] else 'FAIL'} {row['mean_score']}",
        )
    console.print(table)
    result = {
        "area": "writer",
        "date": datetime.now(UTC).date().isoformat(),
        "hardware": hardware(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "quick": quick,
        "rows": rows,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    target = RESULTS.with_name("writer_quick.json") if quick else RESULTS
    target.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(f"hardware: {result['hardware']}; load average {result['load_average']}")
    return result
