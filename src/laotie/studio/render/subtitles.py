"""Subtitles from timed cues: an SRT file beside the video and an ASS file burnt into it.

Rows are wrapped at word boundaries (jieba), never inside a word or a number with its unit
("29.9元" stays whole); a cue too long for two rows is shown in parts, each timed by the
provider's word timings when it gave them, else by its share of the characters. Where the
subtitles sit is decided by :mod:`laotie.studio.render.layout` (safe area).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.layout import SafeArea, SubtitleStyle, subtitle_band
from laotie.studio.tts.base import Cue

#: the font family name libass finds in wqy-microhei.ttc
FONT_FAMILY = "WenQuanYi Micro Hei"
#: subtitle text height as a share of the frame's width (vertical) or height (landscape)
FONT_RATIO = 0.075
#: most rows shown at once; longer cues are shown in parts
MAX_ROWS = 2
_NO_ROW_START = "，。、！？；：,.!?;:）)」』”’…%％"
_NUMBER = re.compile(r"^[¥￥$]?\d[\d.,:：/]*$")
#: units and measure words that belong to the number before them
_UNITS = set("元角分块毛个件斤两克吨米岁年月日号时点秒万亿千百倍折%％度")


def _timestamp_srt(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def _timestamp_ass(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    hours, rest = divmod(cs, 360_000)
    minutes, rest = divmod(rest, 6000)
    secs, centis = divmod(rest, 100)
    return f"{hours}:{minutes:02d}:{secs:02d}.{centis:02d}"


def _display_text(text: str) -> str:
    return text.strip().rstrip("。，,；;")


def write_srt(cues: Sequence[Cue], *, out: Path) -> Path:
    """Write ``cues`` as an SRT file (UTF-8)."""
    blocks = [
        f"{n}\n{_timestamp_srt(c.start_s)} --> {_timestamp_srt(c.end_s)}\n{_display_text(c.text)}\n"
        for n, c in enumerate(cues, start=1)
    ]
    out.write_text("\n".join(blocks), encoding="utf-8")
    return out


def font_size_px(video: VideoFormat, style: SubtitleStyle | None = None) -> int:
    """Subtitle font size for a frame (pixels)."""
    ratio = style.size_ratio if style else FONT_RATIO
    return max(12, round(ratio * video.shortest_side))


@lru_cache(maxsize=4096)
def words_of(text: str) -> tuple[str, ...]:
    """Unbreakable pieces of ``text``: jieba words, a number kept with its unit, punctuation
    kept with the word before it."""
    import jieba

    pieces: list[str] = []
    for token in jieba.cut(text, HMM=True):
        if not token:
            continue
        previous = pieces[-1] if pieces else ""
        glue = bool(previous) and (
            token[0] in _NO_ROW_START
            or (_NUMBER.match(previous) is not None and token[0] in _UNITS)
            or (_NUMBER.match(previous) is not None and token[0].isdigit())
            or (previous[-1] in "¥￥$" and token[0].isdigit())
        )
        if glue:
            pieces[-1] = previous + token
        else:
            pieces.append(token)
    return tuple(pieces)


def shorten(text: str, *, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` at a word boundary (never inside "29.9元")."""
    text = text.strip()
    if len(text) <= max_chars:
        return text
    kept = ""
    for word in words_of(text):
        if len(kept) + len(word) > max_chars:
            break
        kept += word
    return (kept or text[:max_chars]).rstrip("，、,;；：:")


def wrap_cjk(text: str, *, max_chars: int) -> list[str]:
    """Break a line into rows of at most ``max_chars``, balanced in length, only between words
    (a single word longer than a row is the one thing cut)."""
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    target = math.ceil(len(text) / math.ceil(len(text) / max_chars))
    rows: list[str] = []
    current = ""
    for word in words_of(text):
        # a too-long word is cut, but punctuation after it hangs on its row
        while len(word.rstrip(_NO_ROW_START)) > max_chars:
            if current:
                rows.append(current)
                current = ""
            rows.append(word[:max_chars])
            word = word[max_chars:]
        fits = len(current) + len(word) <= max_chars
        if current and (not fits or len(current) >= target):
            rows.append(current)
            current = ""
        current += word
    if current:
        rows.append(current)
    return [r.strip() for r in rows if r.strip()]


def _char_times(cue: Cue, text: str) -> list[float]:
    """The time each character of ``text`` is spoken: each timed word is found in the text
    (punctuation the provider does not time takes the time before it), else evenly."""
    length = max(1, len(text))
    times = [cue.start_s + (cue.end_s - cue.start_s) * k / length for k in range(len(text))]
    if not cue.words:
        return times
    found = [False] * len(text)
    cursor = 0
    for word in cue.words:
        at = text.find(word.text, cursor) if word.text else -1
        if at < 0:
            continue
        span = len(word.text)
        for k in range(span):
            times[at + k] = word.start_s + (word.end_s - word.start_s) * k / span
            found[at + k] = True
        cursor = at + span
    for k in range(1, len(text)):
        if not found[k] and found[k - 1]:
            times[k], found[k] = times[k - 1], True
    return times


def timed_parts(cue: Cue, *, max_chars: int) -> list[tuple[float, float, list[str]]]:
    """The cue as parts of at most two rows each: (start s, end s, rows)."""
    text = _display_text(cue.text).replace("\n", " ")
    rows = wrap_cjk(text, max_chars=max_chars)
    if len(rows) <= MAX_ROWS:
        return [(cue.start_s, cue.end_s, rows)]
    times = _char_times(cue, "".join(rows))
    groups = [rows[i : i + MAX_ROWS] for i in range(0, len(rows), MAX_ROWS)]
    parts, offset = [], 0
    starts = []
    for group in groups:
        starts.append(cue.start_s if offset == 0 else times[min(offset, len(times) - 1)])
        offset += sum(len(r) for r in group)
    ends = [*starts[1:], cue.end_s]
    for group, start, end in zip(groups, starts, ends, strict=True):
        parts.append((start, max(end, start + 0.05), group))
    return parts


def _escape(text: str) -> str:
    return text.replace("{", "｛").replace("}", "｝").replace("\\", "＼")


def write_ass(
    cues: Sequence[Cue],
    video: VideoFormat,
    *,
    out: Path,
    style: SubtitleStyle | None = None,
    safe: SafeArea | None = None,
) -> Path:
    """Write ``cues`` as an ASS script styled for ``video``, placed inside the safe area."""
    style = style or SubtitleStyle()
    size = font_size_px(video, style)
    band = subtitle_band(video, style=style, safe=safe, font_px=size, rows=MAX_ROWS)
    max_chars = max(4, int(band.width * 0.96 / size))
    outline = max(1, round(size * style.outline_ratio))
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {video.width}\nPlayResY: {video.height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,{style.font},{size},{style.ass_colour()},&H00FFFFFF,"
        f"{style.ass_outline_colour()},&H80000000,{int(style.bold)},0,0,0,100,100,0,0,1,"
        f"{outline},1,2,{band.left},{video.width - band.right},"
        f"{video.height - band.bottom},1\n\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    lines = []
    for cue in cues:
        for start, end, rows in timed_parts(cue, max_chars=max_chars):
            text = r"\N".join(_escape(r) for r in rows)
            lines.append(
                f"Dialogue: 0,{_timestamp_ass(start)},{_timestamp_ass(end)},"
                f"Default,,0,0,0,,{text}\n"
            )
    out.write_text(header + "".join(lines), encoding="utf-8")
    return out
