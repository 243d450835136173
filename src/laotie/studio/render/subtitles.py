"""Subtitles from timed cues: an SRT file beside the video and an ASS file burnt into it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from laotie.studio.render.formats import VideoFormat
from laotie.studio.tts.base import Cue

#: the font family name libass finds in wqy-microhei.ttc
FONT_FAMILY = "WenQuanYi Micro Hei"
#: subtitle text height as a share of the frame's width (vertical) or height (landscape)
FONT_RATIO = 0.075
_NO_ROW_START = "，。、！？；：,.!?;:）)」』”’…"


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


def font_size_px(video: VideoFormat) -> int:
    """Subtitle font size for a frame (pixels)."""
    return max(12, round(FONT_RATIO * video.shortest_side))


def wrap_cjk(text: str, *, max_chars: int) -> list[str]:
    """Break a line without spaces into rows of at most ``max_chars``, balanced in length."""
    if len(text) <= max_chars:
        return [text]
    rows = math.ceil(len(text) / max_chars)
    per_row = math.ceil(len(text) / rows)
    parts = [text[i : i + per_row] for i in range(0, len(text), per_row)]
    # no row may start with closing punctuation: pull it up to the row before
    for i in range(1, len(parts)):
        while parts[i] and parts[i][0] in _NO_ROW_START:
            parts[i - 1] += parts[i][0]
            parts[i] = parts[i][1:]
    return [p for p in parts if p]


def write_ass(cues: Sequence[Cue], video: VideoFormat, *, out: Path) -> Path:
    """Write ``cues`` as an ASS script styled for ``video`` (white, outlined, lower third)."""
    size = font_size_px(video)
    max_chars = max(4, int(video.width * 0.86 / size))
    margin_v = round(video.height * (0.14 if video.height > video.width else 0.08))
    outline = max(1, round(size / 14))
    header = (
        "[Script Info]\nScriptType: v4.00+\nWrapStyle: 2\nScaledBorderAndShadow: yes\n"
        f"PlayResX: {video.width}\nPlayResY: {video.height}\n\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: Default,{FONT_FAMILY},{size},&H00FFFFFF,&H00FFFFFF,&H00000000,&H80000000,"
        f"1,0,0,0,100,100,0,0,1,{outline},1,2,20,20,{margin_v},1\n\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )
    lines = []
    for cue in cues:
        text = _display_text(cue.text).replace("{", "｛").replace("}", "｝").replace("\\", "＼")
        text = r"\N".join(wrap_cjk(text.replace("\n", " "), max_chars=max_chars))
        lines.append(
            f"Dialogue: 0,{_timestamp_ass(cue.start_s)},{_timestamp_ass(cue.end_s)},"
            f"Default,,0,0,0,,{text}\n"
        )
    out.write_text(header + "".join(lines), encoding="utf-8")
    return out
