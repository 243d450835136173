"""The review can fail: each defect a script editor marks costs >= 30 points, named.

A real draft (the first 20 chapters of 西游记, 12 episodes) is reviewed, then damaged the way
the issue saw drafts go wrong: scenes shuffled, speakers swapped for other characters, stock
chapter closers as end hooks, and an episode glued together from far-apart chapters. Every
damaged episode must lose at least ``DROP`` points and the report must name the problem.
"""

from __future__ import annotations

import pytest

from laotie.studio.writer.model import Adaptation, Line
from laotie.studio.writer.parse import parse_novel
from laotie.studio.writer.pipeline import adapt_offline
from laotie.studio.writer.review import review

from .conftest import novel_head

DROP = 30
CLOSER = "毕竟不知性命如何，且听下回分解。"


@pytest.fixture(scope="module")
def draft() -> Adaptation:
    return adapt_offline(parse_novel(novel_head("西游记", 20), title="西游记"), episodes=12)


def _scores(adaptation: Adaptation) -> dict[int, tuple[int, list[str]]]:
    return {e.episode: (e.score, e.notes + e.failures) for e in review(adaptation).episodes}


def _drops(original: Adaptation, damaged: Adaptation, episodes: list[int], word: str) -> None:
    before, after = _scores(original), _scores(damaged)
    assert episodes
    for number in episodes:
        drop = before[number][0] - after[number][0]
        assert drop >= DROP, (number, before[number], after[number])
        assert any(word in note for note in after[number][1]), after[number][1]


def test_the_draft_itself_passes(draft: Adaptation) -> None:
    report = review(draft)
    assert report.passed, report.to_dict()
    assert report.mean_score >= 80


def test_shuffled_scenes_lose_points(draft: Adaptation) -> None:
    damaged = draft.model_copy(deep=True)
    hit = []
    for script in damaged.scripts:
        if len(script.scenes) >= 2:
            script.scenes.reverse()
            for number, scene in enumerate(script.scenes, start=1):
                scene.number = number
            hit.append(script.episode)
    _drops(draft, damaged, hit, "场景顺序")


def test_swapped_speakers_lose_points(draft: Adaptation) -> None:
    damaged = draft.model_copy(deep=True)
    late = sorted(draft.bible.characters, key=lambda c: -c.first_chapter)[:4]
    hit = []
    for script, entry in zip(damaged.scripts, damaged.outline, strict=True):
        others = [c.name for c in late if c.first_chapter > max(entry.source_chapters)]
        speakers = sorted({ln.speaker for ln in script.lines if ln.kind == "dialogue"} - {None})
        if not others or not speakers:
            continue
        swap = {s: others[i % len(others)] for i, s in enumerate(speakers)}
        for line in script.lines:
            if line.kind == "dialogue" and line.speaker:
                line.speaker = swap[line.speaker]
        _restamp(damaged, script.episode)
        hit.append(script.episode)
    _drops(draft, damaged, hit, "说话人")


def test_stock_closer_hooks_lose_points(draft: Adaptation) -> None:
    damaged = draft.model_copy(deep=True)
    for script, entry in zip(damaged.scripts, damaged.outline, strict=True):
        script.scenes[-1].lines[-1] = Line(kind="action", text=CLOSER, duration_s=3.0)
        entry.end_hook.text = CLOSER
        script.duration_s = round(sum(ln.duration_s for ln in script.lines), 1)
    _drops(draft, damaged, [s.episode for s in damaged.scripts], "套话")


def test_a_glued_collage_loses_points(draft: Adaptation) -> None:
    damaged = draft.model_copy(deep=True)
    first, middle, last = damaged.scripts[0], damaged.scripts[5], damaged.scripts[10]
    scenes = [first.scenes[0], middle.scenes[0], last.scenes[-1]]
    for number, scene in enumerate(scenes, start=1):
        scene.number = number
    first.scenes = scenes
    entry = damaged.outline[0]
    entry.source_chapters = sorted(
        {
            *entry.source_chapters,
            *damaged.outline[5].source_chapters,
            *damaged.outline[10].source_chapters,
        }
    )
    _restamp(damaged, 1)
    _drops(draft, damaged, [1], "拼贴")


def _restamp(adaptation: Adaptation, episode: int) -> None:
    """Keep the damaged episode's outline beats, hook and duration pointing at its lines."""
    script = adaptation.scripts[episode - 1]
    entry = adaptation.outline[episode - 1]
    texts = [
        f"{ln.speaker}：{ln.text}" if ln.kind == "dialogue" else ln.text for ln in script.lines
    ]
    entry.hook, entry.end_hook.text = texts[0], texts[-1]
    entry.conflict, entry.twist, entry.payoff = texts[1], texts[len(texts) // 2], texts[-2]
    clock = 0.0
    for line in script.lines:
        line.start_s = round(clock, 2)
        clock += line.duration_s
    script.duration_s = round(clock, 1)


def test_a_paywall_without_a_cliff_hanger_fails_the_series(draft: Adaptation) -> None:
    damaged = draft.model_copy(deep=True)
    entry = next(e for e in damaged.outline if e.paywall)
    script = damaged.scripts[entry.number - 1]
    script.scenes[-1].lines[-1] = Line(kind="action", text="众人各自回房歇息。", duration_s=2.8)
    _restamp(damaged, entry.number)
    report = review(damaged)
    assert any("付费点" in f and "悬念" in f for f in report.series_failures)
    assert not report.passed
