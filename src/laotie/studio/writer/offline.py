"""The offline engine: an extractive, structural draft built from the novel's own sentences.

Every line of the script is a sentence or a speech of the source (trimmed, never invented);
the structure — episode slices, scenes, hook, twist, payoff, end hook, paywall — comes from
the format's rules. The result is labelled as an extractive draft for a human writer.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from typing import Literal

from laotie.core.errors import InvalidInput
from laotie.studio.writer.characters import GENERIC_ROLES, _jieba
from laotie.studio.writer.lines import Candidate, Cast, clean_action, score, trim_speech
from laotie.studio.writer.model import (
    Chapter,
    EndHook,
    EpisodeOutline,
    Line,
    Novel,
    Scene,
    Script,
)
from laotie.studio.writer.parse import Unit
from laotie.studio.writer.rules import (
    MAX_EPISODE_S,
    MAX_LINES,
    MIN_EPISODE_S,
    MIN_LINES,
    PAYWALL_MIN_SUSPENSE,
    TARGET_EPISODE_S,
    classify_end_hook,
    hook_scores,
    hook_suspense,
    intensity,
    line_seconds,
    mini_climax_episodes,
    place_paywall,
    suspense,
)
from laotie.studio.writer.segments import Segment
from laotie.studio.writer.speakers import Attributed, attribute

DRAFT_NOTICE = (
    "离线抽取式草稿：台词与动作均摘自原著原文，分集、分场、钩子与付费点由规则生成，"
    "未经改写润色，供编剧在此基础上创作。"
)
#: the scene place when the source names none
FALLBACK_PLACE = "外景"
CLIMAX_TARGET_S = 120.0
_PLACE_SUFFIX = re.compile(
    r"^[\u4e00-\u9fff]{1,4}(?:山|洞|宫|殿|寺|庄|城|府|营|寨|关|国|院|园|楼|堂|亭|村|店|州|县|岭|桥|阁|庙|观|厅|房|江|河|湖|海)$"
)
_NOT_PLACE_START = (
    "这那此其本该一各每两三四五六七八九十上下前后左右东西南北里外中内过到往在离出进回高大深"
)
_GOING = "到往在至回入进离奔投赴上下出"
_NOT_PLACE_END = re.compile(r"[佛恩嘴莫鲜]$")
_INTERIOR = "宫殿寺府院楼堂阁庙观厅房店洞庄室"
_NIGHT = (
    "夜",
    "月下",
    "灯",
    "更时",
    "三更",
    "二更",
    "四更",
    "黄昏",
    "晚间",
    "天晚",
    "睡",
    "梦",
    "烛",
)
_DAY = ("天明", "清晨", "早起", "日头", "午", "天晓", "白日", "次日", "早晨", "平明")
_REVERSAL = (
    "原来",
    "却是",
    "竟",
    "不料",
    "谁知",
    "识破",
    "不想",
    "那知",
    "哪知",
    "岂知",
    "原是",
    "才知",
)
ProgressFn = Callable[[float, str], None]


def is_verse(paragraph: str) -> bool:
    """True for poems and parallel prose: clauses of one fixed length (5/7 chars, or 10/14)."""
    clauses = [c for c in re.split(r"[，。！？；、：\s]+", re.sub(r"[“”「」]", "", paragraph)) if c]
    if len(clauses) < 2:
        return False
    length, count = Counter(len(c) for c in clauses).most_common(1)[0]
    if length not in (4, 5, 6, 7, 8, 10, 12, 14):
        return False
    return count / len(clauses) >= (0.75 if len(clauses) >= 4 else 1.0) and length >= 5


def _is_lyric(paragraph: str, cast: Cast) -> bool:
    """A nameless run of short clauses: a song, a rhymed commentary or a scenic set piece."""
    if "“" in paragraph or cast.names_in(paragraph):
        return False
    clauses = [c for c in re.split(r"[，。！？；、：\s]+", paragraph) if c]
    return len(clauses) >= 6 and sum(map(len, clauses)) / len(clauses) <= 7.0


def _couplet_lines(pieces: list[Unit], cast: Cast) -> set[int]:
    """Narration sentences that are verse: couplets, runs of one even length, and their tails."""
    sizes = [len(re.sub(r"\W", "", u.text)) if u.kind == "narration" else -1 for u in pieces]
    clauses = [
        [c for c in re.split(r"[，、；：！？。]", u.text) if c] if u.kind == "narration" else []
        for u in pieces
    ]
    nameless = [u.kind == "narration" and not cast.names_in(u.text) for u in pieces]
    found = set()
    for index, size in enumerate(sizes):
        parts = clauses[index]
        couplet = (
            nameless[index]
            and len(parts) >= 2
            and len({len(p) for p in parts}) == 1
            and len(parts[0]) >= 5
        )
        ditty = nameless[index] and len(parts) >= 3 and len(parts[0]) == len(parts[1]) <= 4
        run = size in (6, 8, 10, 12, 14) and (
            (index > 0 and sizes[index - 1] == size)
            or (index + 1 < len(sizes) and sizes[index + 1] == size)
        )
        if couplet or ditty or run:
            found.add(index)
    for _ in range(3):
        # a nameless sentence opening on a short clause next to verse is more of the song
        for index, parts in enumerate(clauses):
            near = index - 1 in found or index + 1 in found
            if near and nameless[index] and parts and len(parts[0]) <= 4 and index not in found:
                found.add(index)
    return found


def _candidates(segment: Segment, cast: Cast, *, max_chars: int | None = None) -> list[Candidate]:
    found: list[Candidate] = []
    seen: set[str] = set()
    attributed = attribute([p.text for p in segment.passages], cast.index)
    by_paragraph: dict[int, list[Attributed]] = {}
    for item in attributed:
        by_paragraph.setdefault(item.paragraph, []).append(item)
    for paragraph_index, passage in enumerate(segment.passages):
        verse = is_verse(passage.text) or _is_lyric(passage.text, cast)
        pieces = by_paragraph.get(paragraph_index, [])
        couplets = _couplet_lines([a.unit for a in pieces], cast)
        for position, item in enumerate(pieces):
            unit, speaker = item.unit, item.speaker
            if unit.kind == "narration":
                if verse or position in couplets:
                    continue
                text, kind = clean_action(unit.text), "action"
            elif speaker:
                text, kind = trim_speech(unit.text), "dialogue"
            else:
                continue  # a quote nobody can be named for stays out of the script
            if not text or text in seen or (max_chars and len(text) > max_chars):
                continue
            seen.add(text)
            names = frozenset(cast.names_in(text)) | ({speaker} if speaker else set())
            found.append(
                Candidate(
                    index=len(found),
                    kind=kind,
                    text=text,
                    speaker=speaker,
                    names=names,
                    score=score(kind, text, names, speaker, cast),
                    paragraph=paragraph_index,
                )
            )
    return found


def _to_line(c: Candidate) -> Line:
    return Line(
        kind=c.kind,  # type: ignore[arg-type]
        text=c.text,
        speaker=c.speaker,
        duration_s=line_seconds(c.text, kind=c.kind),
    )


def _place(text: str, cast: Cast, fallback: str, *, avoid: str) -> str:
    """The scene's place: named places (3+ characters or dictionary ns) before 2-character ones."""
    jieba, tags = _jieba()
    # named places (花果山, 大观园) before dictionary places (长安) before 2-character ones (宝殿)
    tiers: list[Counter[str]] = [Counter(), Counter(), Counter()]
    for word in jieba.cut(text):
        if len(word) < 2 or word[0] in _NOT_PLACE_START or word in GENERIC_ROLES:
            continue
        if word == avoid or cast.names_in(word) or word[-1] == word[-2]:
            continue
        suffix = bool(_PLACE_SUFFIX.match(word))
        if suffix and len(word) >= 3:
            tiers[0][word] += 1
        elif tags.get(word) == "ns" and _NOT_PLACE_END.search(word) is None:
            # jieba tags many words ns; keep one only where the text goes to or stays at it
            if re.search(f"[{_GOING}]{re.escape(word)}", text):
                tiers[1][word] += 1
        elif suffix:
            tiers[2][word] += 1
    for counts in tiers:
        if counts:
            return counts.most_common(1)[0][0]
    return fallback


def _time_of_day(text: str) -> Literal["日", "夜"]:
    night = sum(text.count(w) for w in _NIGHT)
    day = sum(text.count(w) for w in _DAY)
    return "夜" if night > day else "日"


def _scene_count(window: list[Candidate]) -> int:
    return 1 if len(window) <= 14 else 2 if len(window) <= 28 else 3


def _story_window(
    cands: list[Candidate], chapters: list[int], *, width: int, charge: float
) -> list[Candidate]:
    """The best run of ``width`` consecutive lines within two chapters, ending in suspense.

    One run keeps the episode on one story line (no collage of far-apart moments); it opens
    on a charged line and ends on a question, a threat or a reveal when the text has one.
    """
    width = min(width, len(cands))
    best: list[Candidate] = cands[:width]
    best_value = float("-inf")
    for start in range(len(cands) - width + 1):
        window = cands[start : start + width]
        if chapters[window[-1].index] - chapters[window[0].index] > 1:
            continue
        value = sum(c.score + charge * intensity(c.text) for c in window)
        value += 2.0 * intensity(window[0].text) + (1.0 if window[0].kind == "dialogue" else 0)
        value += 4.0 * suspense(window[-1].text, dialogue=window[-1].kind == "dialogue")
        if value > best_value:
            best, best_value = window, value
    return best


def _choose_window(cands: list[Candidate], chapters: list[int], *, climax: bool) -> list[Candidate]:
    charge = 0.8 if climax else 0.3
    target = CLIMAX_TARGET_S if climax else TARGET_EPISODE_S
    mean_s = sum(line_seconds(c.text, kind=c.kind) for c in cands) / len(cands)
    width = max(MIN_LINES + 2, min(MAX_LINES - 4, round(target / mean_s)))
    window = _story_window(cands, chapters, width=width, charge=charge)
    for _ in range(8):
        seconds = sum(line_seconds(c.text, kind=c.kind) for c in window)
        if seconds > MAX_EPISODE_S - 15 and len(window) > MIN_LINES + 1:
            width -= 2
        elif seconds < MIN_EPISODE_S + 15 and len(window) < min(MAX_LINES - 2, len(cands)):
            width += 2
        else:
            break
        window = _story_window(cands, chapters, width=width, charge=charge)
    return window


def _split_scenes(window: list[Candidate]) -> list[list[Candidate]]:
    """Cut the run into 1-3 scenes at paragraph breaks, preferring the biggest jumps."""
    scenes = _scene_count(window)
    cuts: list[int] = []
    for k in range(1, scenes):
        ideal = k * len(window) // scenes
        options = [
            i
            for i in range(5, len(window) - 4)
            if window[i].paragraph != window[i - 1].paragraph and all(abs(i - c) >= 5 for c in cuts)
        ]
        if options:
            cuts.append(
                min(
                    options,
                    key=lambda i: (
                        abs(i - ideal) - 3 * (window[i].paragraph - window[i - 1].paragraph)
                    ),
                )
            )
    bounds = [0, *sorted(cuts), len(window)]
    return [window[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _chapter_halves(chapter: Chapter) -> list[str]:
    title = re.sub(r"^第\S+?[回章节卷集话]\s*|^(楔子|序章|引子|尾声)\s*", "", chapter.title).strip()
    halves = [h for h in re.split(r"[\s　,，]+", title) if h]
    return halves or [chapter.title]


def _title(segment: Segment, novel: Novel, used: set[str]) -> str:
    chapter = novel.chapters[segment.passages[0].chapter - 1]
    halves = _chapter_halves(chapter)
    first = segment.passages[0]
    position = chapter.paragraphs.index(first.text) if first.text in chapter.paragraphs else 0
    half = halves[min(len(halves) - 1, position * len(halves) // max(1, len(chapter.paragraphs)))]
    options = [
        half,
        *halves,
        *(h for c in segment.chapters for h in _chapter_halves(novel.chapters[c - 1])),
    ]
    for option in options:
        if option not in used:
            used.add(option)
            return option
    title = f"{half}（续{segment.episode}）"
    used.add(title)
    return title


def _quote(line: Line) -> str:
    return f"{line.speaker}：{line.text}" if line.kind == "dialogue" else line.text


def build_episode(
    segment: Segment,
    novel: Novel,
    cast: Cast,
    *,
    climax: bool,
    previous_hook: str | None,
    used_titles: set[str],
) -> tuple[EpisodeOutline, Script]:
    """Outline entry and script of one episode from its slice of the source."""
    cands = _candidates(segment, cast, max_chars=None)
    if len(cands) < MIN_LINES:
        raise InvalidInput(
            f"episode {segment.episode} gets only {len(cands)} usable source lines from the "
            f"novel, fewer than the {MIN_LINES} a script needs: ask for fewer episodes or give "
            "a longer text",
            field="episodes",
            limit=f">= {MIN_LINES} usable lines per episode",
        )
    chapters = [segment.passages[c.paragraph].chapter for c in cands]
    window = _choose_window(cands, chapters, climax=climax)
    scenes: list[Scene] = []
    place = FALLBACK_PLACE
    for number, part in enumerate(_split_scenes(window), start=1):
        first, last = part[0].paragraph, part[-1].paragraph
        text = "".join(p.text for p in segment.passages[first : last + 1])
        place = _place(text, cast, place, avoid=novel.title)
        interior: Literal["内", "外"] = "内" if place[-1] in _INTERIOR else "外"
        scenes.append(
            Scene(
                number=number,
                interior=interior,
                time=_time_of_day(text),
                place=place,
                lines=[_to_line(c) for c in part],
                source_chapter=segment.passages[first].chapter,
                source_paragraph=segment.passages[first].index,
            )
        )
    start = 0.0
    for line in (line for scene in scenes for line in scene.lines):
        line.start_s = round(start, 2)
        start += line.duration_s
    all_lines = [line for scene in scenes for line in scene.lines]
    body = all_lines[1:-1]
    second_half = body[len(body) // 2 :] or body
    conflict = max(body, key=lambda ln: (intensity(ln.text), ln.kind == "dialogue"))
    rest = [ln for ln in second_half if ln is not conflict] or body
    twist = next(
        (ln for ln in rest if any(w in ln.text for w in _REVERSAL)),
        max(rest, key=lambda ln: intensity(ln.text)),
    )
    final = [ln for ln in (scenes[-1].lines[:-1] or body) if ln is not conflict and ln is not twist]
    payoff = max(final or body, key=lambda ln: (intensity(ln.text), ln.start_s))
    end = all_lines[-1]
    tail = " ".join(ln.text for ln in all_lines[-4:])
    hook_type = classify_end_hook(tail, previous=previous_hook)
    strength = round(
        2.0 * suspense(end.text, dialogue=end.kind == "dialogue")
        + intensity(end.text)
        + 0.5 * intensity(tail)
        + 0.2 * hook_scores(tail)[hook_type],
        2,
    )
    title = _title(segment, novel, used_titles)
    outline = EpisodeOutline(
        number=segment.episode,
        title=title,
        source_chapters=sorted({chapters[c.index] for c in window}),
        hook=_quote(all_lines[0]),
        conflict=_quote(conflict),
        twist=_quote(twist),
        payoff=_quote(payoff),
        end_hook=EndHook(type=hook_type, text=_quote(end)),  # type: ignore[arg-type]
        hook_strength=strength,
        mini_climax=climax,
    )
    script = Script(episode=segment.episode, title=title, scenes=scenes, duration_s=round(start, 1))
    return outline, script


def build_offline(
    novel: Novel,
    segments: list[Segment],
    cast: Cast,
    *,
    progress: ProgressFn | None = None,
) -> tuple[list[EpisodeOutline], list[Script]]:
    """Outline and scripts for every segment, then the cross-episode rules (payoffs, paywall)."""
    climaxes = set(mini_climax_episodes(len(segments)))
    outline: list[EpisodeOutline] = []
    scripts: list[Script] = []
    used: set[str] = set()
    previous: str | None = None
    for segment in segments:
        entry, script = build_episode(
            segment,
            novel,
            cast,
            climax=segment.episode in climaxes,
            previous_hook=previous,
            used_titles=used,
        )
        previous = entry.end_hook.type
        outline.append(entry)
        scripts.append(script)
        if progress:
            progress(segment.episode / len(segments), f"第{segment.episode}集")
    link_episodes(outline)
    return outline, scripts


def link_episodes(outline: list[EpisodeOutline]) -> None:
    """Each end hook is paid off by the next episode; the paywall goes to the strongest hook."""
    for entry in outline:
        entry.paywall = False
        entry.end_hook.paid_off_in = entry.number + 1 if entry.number < len(outline) else None
        entry.pays_off_hook_of = entry.number - 1 if entry.number > 1 else None
    # only a real cliff-hanger (a question, a threat, a reveal) may carry the paywall
    strengths = [
        e.hook_strength if hook_suspense(e.end_hook.text) >= PAYWALL_MIN_SUSPENSE else 0.0
        for e in outline
    ]
    paywall = place_paywall(strengths)
    if paywall:
        outline[paywall - 1].paywall = True
