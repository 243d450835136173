"""Review an adaptation against every rule of the format and score each episode (0-100).

Hard rules (an episode fails on any): 1-3 minutes, 1-3 scenes with 内/外 and 日/夜 headings,
22-38 lines, a hook line starting inside the first 10 s, conflict/twist/payoff that are
distinct lines of the script, an end hook of one of the four types that is the last line and
is paid off within two episodes, source chapters mapped in order. Series rules: a mini-climax
every third episode early on, the first paywall in episodes 8-16 at the strongest real
cliff-hanger, the AIGC label (explicit notice and implicit fields). Soft points score the
craft, and the script editor's findings (``editor.py``: speakers, story order, hooks,
length, the paywall cliff-hanger, repetition) cost the points each names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from laotie.core.aigc import EXPLICIT_NOTICE, AigcLabel
from laotie.core.errors import InvalidInput
from laotie.studio.writer.editor import Finding, edit_episodes, paywall_finding
from laotie.studio.writer.model import END_HOOK_TYPES, Adaptation, EpisodeOutline, Line, Script
from laotie.studio.writer.rules import (
    HOOK_WITHIN_S,
    MAX_EPISODE_S,
    MAX_LINES,
    MAX_SCENES,
    MIN_EPISODE_S,
    MIN_LINES,
    MIN_SCENES,
    PAYOFF_WITHIN,
    PAYWALL_MIN_SUSPENSE,
    hook_suspense,
    intensity,
    line_seconds,
    mini_climax_episodes,
    paywall_window,
)

HEADING = re.compile(r"^\d+-\d+ [内外] [日夜] \S.*$")
PASS_SCORE = 60


@dataclass
class EpisodeReview:
    """One episode's verdict: failed hard rules, soft notes and a 0-100 score."""

    episode: int
    score: int
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no hard rule failed and the score reaches the pass mark."""
        return not self.failures and self.score >= PASS_SCORE


@dataclass
class ReviewReport:
    """The whole adaptation's verdict."""

    episodes: list[EpisodeReview]
    series_failures: list[str]

    @property
    def passed(self) -> bool:
        """True when every episode and every series rule passes."""
        return not self.series_failures and all(e.passed for e in self.episodes)

    @property
    def mean_score(self) -> float:
        """Average episode score."""
        return sum(e.score for e in self.episodes) / max(1, len(self.episodes))

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "passed": self.passed,
            "mean_score": round(self.mean_score, 1),
            "series_failures": self.series_failures,
            "episodes": [
                {
                    "episode": e.episode,
                    "score": e.score,
                    "passed": e.passed,
                    "failures": e.failures,
                    "notes": e.notes,
                }
                for e in self.episodes
            ],
        }


def _as_text(line: Line) -> str:
    return f"{line.speaker}：{line.text}" if line.kind == "dialogue" else line.text


def _review_episode(
    entry: EpisodeOutline, script: Script, count: int, findings: list[Finding]
) -> EpisodeReview:
    failures: list[str] = []
    notes: list[str] = []
    lines = script.lines
    texts = [_as_text(line) for line in lines]
    duration = sum(line_seconds(line.text, kind=line.kind) for line in lines)
    if not MIN_EPISODE_S <= duration <= MAX_EPISODE_S:
        failures.append(f"时长{duration:.0f}秒，应在{MIN_EPISODE_S:.0f}-{MAX_EPISODE_S:.0f}秒")
    if abs(duration - script.duration_s) > 2:
        failures.append(f"标注时长{script.duration_s}秒与按语速估算的{duration:.0f}秒不符")
    if not MIN_SCENES <= len(script.scenes) <= MAX_SCENES:
        failures.append(f"{len(script.scenes)}场，应为{MIN_SCENES}-{MAX_SCENES}场")
    for scene in script.scenes:
        if not HEADING.match(scene.heading(script.episode)):
            failures.append(f"场景标题不合格式：{scene.heading(script.episode)}")
    if not MIN_LINES <= len(lines) <= MAX_LINES:
        failures.append(f"{len(lines)}行，应为{MIN_LINES}-{MAX_LINES}行")
    if not lines:
        return EpisodeReview(entry.number, 0, failures or ["没有台词"], notes)
    starts, clock = [], 0.0
    for line in lines:
        starts.append(clock)
        clock += line_seconds(line.text, kind=line.kind)
    hook_at = texts.index(entry.hook) if entry.hook in texts else -1
    if hook_at < 0 or starts[hook_at] >= HOOK_WITHIN_S:
        failures.append("开场钩子不在前10秒内")
    beats = {"冲突": entry.conflict, "反转": entry.twist, "兑现": entry.payoff}
    for name, text in beats.items():
        if text not in texts:
            failures.append(f"{name}不在剧本台词中")
    if len(set(beats.values())) < 3:
        failures.append("冲突、反转、兑现须是三句不同的台词")
    if entry.end_hook.type not in END_HOOK_TYPES:
        failures.append(f"结尾钩子类型{entry.end_hook.type}不在四类之中")
    if texts[-1] != entry.end_hook.text:
        failures.append("结尾钩子不是最后一句")
    paid = entry.end_hook.paid_off_in
    if entry.number < count and (paid is None or not 0 < paid - entry.number <= PAYOFF_WITHIN):
        failures.append(f"结尾钩子未在{PAYOFF_WITHIN}集内兑现")
    if entry.source_chapters != sorted(entry.source_chapters):
        failures.append("对应原著章节顺序错乱")
    score = 100
    dialogue_share = sum(line.kind == "dialogue" for line in lines) / len(lines)
    if dialogue_share < 0.4:
        score -= 15
        notes.append(f"对白占比{dialogue_share:.0%}偏低")
    if intensity(entry.hook) == 0:
        score -= 10
        notes.append("开场钩子力度弱")
    if intensity(entry.end_hook.text) == 0 and "？" not in entry.end_hook.text:
        score -= 10
        notes.append("结尾钩子力度弱")
    speakers = {line.speaker for line in lines if line.kind == "dialogue"}
    if len(speakers) < 2:
        score -= 10
        notes.append("只有一个说话人")
    long_lines = sum(len(line.text) > 40 for line in lines)
    if long_lines:
        score -= min(15, 3 * long_lines)
        notes.append(f"{long_lines}句超过40字")
    if len(set(texts)) < len(texts):
        score -= 10
        notes.append("有重复台词")
    for finding in findings:
        score -= finding.penalty
        notes.append(f"[{finding.check}] {finding.message}")
    score -= 25 * len(failures)
    return EpisodeReview(entry.number, max(0, score), failures, notes)


def review(adaptation: Adaptation) -> ReviewReport:
    """Check every rule; the report says what failed, where, and scores each episode."""
    series: list[str] = []
    outline, scripts = adaptation.outline, adaptation.scripts
    count = len(outline)
    if [e.number for e in outline] != list(range(1, count + 1)):
        series.append("分集编号须从1连续编号")
    if [s.episode for s in scripts] != [e.number for e in outline]:
        series.append("剧本与大纲的集数不一致")
    if EXPLICIT_NOTICE not in adaptation.aigc_notice:
        series.append("缺少显式AIGC标识")
    try:
        AigcLabel.from_dict(adaptation.AIGC)
    except InvalidInput as exc:
        series.append(f"隐式AIGC标识无效：{exc}")
    climaxes = {e.number for e in outline if e.mini_climax}
    missing = [n for n in mini_climax_episodes(count) if n not in climaxes]
    if missing:
        series.append(f"前期每三集一个小高潮：第{missing}集未标注")
    paywalls = [e.number for e in outline if e.paywall]
    window = paywall_window(count)
    if window:
        if not paywalls or paywalls[0] not in window:
            series.append(f"首个付费点须在第{window.start}-{window.stop - 1}集")
        else:
            cliffs = [
                outline[n - 1].hook_strength
                for n in window
                if hook_suspense(outline[n - 1].end_hook.text) >= PAYWALL_MIN_SUSPENSE
            ]
            if outline[paywalls[0] - 1].hook_strength < max(cliffs, default=0.0):
                series.append("首个付费点不在钩子最强的一集")
    for entry in outline:
        back = entry.pays_off_hook_of
        if back is not None and outline[back - 1].end_hook.paid_off_in != entry.number:
            series.append(f"第{entry.number}集兑现的钩子与第{back}集不对应")
    edits = edit_episodes(adaptation)
    paywall = paywall_finding(adaptation)
    if paywall:
        series.append(paywall.message)
        for entry in outline:
            if entry.paywall:
                edits.setdefault(entry.number, []).append(paywall)
    reviews = [
        _review_episode(entry, script, count, edits.get(entry.number, []))
        for entry, script in zip(outline, scripts, strict=False)
    ]
    return ReviewReport(reviews, series)
