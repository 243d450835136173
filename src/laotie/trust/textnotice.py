"""An explicit AIGC notice written in text: a label-like statement, not a mention of AI.

GB 45438-2025 explicit text labels are statements about the content itself: 本内容由AI生成
anywhere, or a short tag (AI生成, 【AI生成】, #AI生成, 人工智能生成) at the start or end of
the text or of its first or last line. An article about AI or AIGC mentions those words in
its sentences; that is not a notice, so ``find_text_notice`` ignores it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AI = r"(?:AI|ＡＩ|人工智能|AIGC|生成式人工智能|大模型)"
_MADE = r"(?:生成|合成|创作|制作|撰写|编写|写作)"
#: a statement about this content: 本内容由AI生成, 本文由人工智能辅助创作, 该视频使用AI合成
_STATEMENT = re.compile(
    r"(?:本|此|该|以下)(?:篇|条|段|部)?(?:内容|文章|文|视频|图片|图像|作品|文本|音频|回答|剧本|素材)"
    rf"(?:均|全部|部分|主要)?(?:由|使用|利用|借助|通过|系|为)\s*{_AI}"
    rf"(?:\s|技术|工具|模型|辅助|自动)*{_MADE}",
    re.I,
)
#: a bare tag: the whole bracket, hashtag or line is the notice (AI生成, AIGC, AI生成内容)
_TAG = re.compile(
    rf"(?:内容)?(?:由)?{_AI}(?:辅助)?{_MADE}(?:内容)?|AIGC(?:内容)?|AI作品",
    re.I,
)
_BRACKETED = re.compile(r"[【\[（(〔「<《]([^】\]）)〕」>》\n]{1,20})[】\]）)〕」>》]")
_HASHTAG = re.compile(r"#([^#\s，。]{2,12})#?")
_EDGE_SPACE = " \t\u3000"


@dataclass(frozen=True)
class TextNotice:
    """A notice found in text: what it says, where, and which rule matched it."""

    phrase: str
    start: int
    rule: str


def _edge_lines(text: str) -> list[tuple[int, str]]:
    lines = [(m.start(), m.group()) for m in re.finditer(r"[^\n]+", text) if m.group().strip()]
    return lines[:1] + lines[-1:] if len(lines) > 1 else lines


def find_text_notice(text: str) -> TextNotice | None:
    """The first label-like AIGC notice in ``text``, or None when AI is only mentioned."""
    statement = _STATEMENT.search(text)
    if statement:
        return TextNotice(statement.group(), statement.start(), "statement about this content")
    for offset, line in _edge_lines(text):
        bare = line.strip(_EDGE_SPACE + "：:|-—·")
        if _TAG.fullmatch(bare.strip("【】[]（）()#")):
            return TextNotice(bare, offset + line.find(bare), "a line that is only the notice")
        for pattern, rule in ((_BRACKETED, "bracketed tag"), (_HASHTAG, "hashtag")):
            for match in pattern.finditer(line):
                at_edge = (
                    not line[: match.start()].strip(_EDGE_SPACE)
                    or not line[match.end() :].strip(_EDGE_SPACE + "。")
                    or rule == "hashtag"
                )
                tag = match.group(1).strip()
                topic_only = rule == "hashtag" and tag.upper().startswith("AIGC")
                if at_edge and not topic_only and _TAG.fullmatch(tag):
                    return TextNotice(match.group(), offset + match.start(), f"{rule} at an edge")
    return None
