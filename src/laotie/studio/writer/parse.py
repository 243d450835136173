"""Parse a novel: chapters (第X回/章/节 and fallbacks), paragraphs, sentences and dialogue."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from laotie.core.errors import InvalidInput
from laotie.studio.writer.model import Chapter, Novel

_NUM = "零〇一二三四五六七八九十百千万两0-9０-９"
_HEADING = re.compile(
    rf"^\s*(第[{_NUM}]{{1,8}}\s*[回章节卷集话]|楔子|序章|序幕|引子|尾声|终章)"
    r"(?:[\s　:：、.．]+(.*))?$"
)
_NUMBERED = re.compile(r"^\s*(?:Chapter|CHAPTER|卷)?\s*([0-9]{1,4})[\s.、：:]+(\S.{0,40})$")
_BOOK_TITLE = re.compile(r"《([^》]{1,40})》")
#: a paragraph that is only punctuation, asterisks or whitespace
_NOISE = re.compile(r"^[\s\W_]*$")
_SENTENCE = re.compile(r"[^。！？；!?…]*(?:[。！？；!?]+|…+|$)")
_QUOTE = re.compile(r"“([^“”]{1,400})”|「([^「」]{1,400})」")
#: a clause ending in a speech verb, or in a colon, introduces what someone says
_SPEECH_VERB = re.compile(
    r"(?:(?:道|曰|说|问|叫|喝|答|骂|嚷|笑|哭|叹|声|吩咐|分付|禀|奏|告|念|喊|报|云|言)[：:]?|[：:])\s*$"
)
_BARE_SPEECH = re.compile(r"^(.{1,14}?(?:道|曰))[：:]([^“”「」]{2,200}?[。！？!?])")
#: chapters that are front matter rather than story
MAX_FALLBACK_CHAPTER_CHARS = 6000
MAX_NOVEL_CHARS = 20_000_000


@dataclass(frozen=True)
class Unit:
    """A piece of a paragraph: narration, or dialogue with the clause that introduces it."""

    kind: str
    text: str
    clause: str = ""


def normalize(text: str) -> str:
    """Unify line endings and punctuation variants (．→。, ASCII quotes → “”)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    text = text.replace("．", "。").replace("∶", "：")
    text = re.sub(r"(?<=[\u4e00-\u9fff]),", "，", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff])\?", "？", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff])!", "！", text)
    text = re.sub(r"(?<=[\u4e00-\u9fff]):(?=\S)", "：", text)
    return re.sub(r"\"([^\"\n]{1,400})\"", r"“\1”", text)


def decode(data: bytes) -> str:
    """Text from bytes in UTF-8 (with or without BOM) or GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("novel is neither UTF-8 nor GB18030 text", field="novel")


def read_novel(path: Path, *, title: str | None = None) -> Novel:
    """Read and parse a novel file; the title defaults to 《...》 on its first line or its name."""
    if not path.is_file():
        raise InvalidInput(f"novel file {path} does not exist", field="novel")
    size = path.stat().st_size
    if size > MAX_NOVEL_CHARS * 4:
        raise InvalidInput(f"novel file is {size} bytes", field="novel", limit=MAX_NOVEL_CHARS * 4)
    return parse_novel(decode(path.read_bytes()), title=title or path.stem)


def _paragraphs(lines: list[str]) -> list[str]:
    return [s for s in (line.strip().replace("　", "") for line in lines) if not _NOISE.match(s)]


def parse_novel(text: str, *, title: str = "未命名") -> Novel:
    """Split ``text`` into chapters and paragraphs; raises InvalidInput when nothing is left."""
    if len(text) > MAX_NOVEL_CHARS:
        raise InvalidInput("novel is too long", field="novel", limit=MAX_NOVEL_CHARS)
    lines = normalize(text).split("\n")
    head = next((line for line in lines[:5] if line.strip()), "")
    found = _BOOK_TITLE.search(head)
    book_title = found.group(1) if found else title
    chapters = _by_headings(lines, _HEADING) or _by_headings(lines, _NUMBERED)
    if not chapters:
        chapters = _by_size(_paragraphs(lines))
    chapters = [c for c in chapters if c.paragraphs]
    if not chapters:
        raise InvalidInput("novel has no readable text", field="novel", limit="1 paragraph")
    for number, chapter in enumerate(chapters, start=1):
        chapter.number = number
    return Novel(title=book_title, chapters=chapters)


def _by_headings(lines: list[str], pattern: re.Pattern[str]) -> list[Chapter]:
    starts = [i for i, line in enumerate(lines) if pattern.match(line) and len(line.strip()) < 60]
    if len(starts) < 2:
        return []
    chapters = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(lines)
        match = pattern.match(lines[start])
        assert match is not None
        label = match.group(1).strip()
        rest = (match.group(2) or "").strip()
        title = re.sub(r"\s+", " ", f"{label} {rest}".strip())
        chapters.append(
            Chapter(number=index + 1, title=title, paragraphs=_paragraphs(lines[start + 1 : end]))
        )
    return chapters


def _by_size(paragraphs: list[str]) -> list[Chapter]:
    chapters: list[Chapter] = []
    current: list[str] = []
    size = 0
    for paragraph in paragraphs:
        current.append(paragraph)
        size += len(paragraph)
        if size >= MAX_FALLBACK_CHAPTER_CHARS:
            chapters.append(_numbered_chapter(len(chapters) + 1, current))
            current, size = [], 0
    if current:
        chapters.append(_numbered_chapter(len(chapters) + 1, current))
    return chapters


def _numbered_chapter(number: int, paragraphs: list[str]) -> Chapter:
    return Chapter(number=number, title=f"第{number}部分", paragraphs=paragraphs)


def sentences(text: str) -> list[str]:
    """Split text into sentences ending in 。！？； (kept), dropping empty pieces."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def units(paragraph: str) -> list[Unit]:
    """Narration and dialogue units of a paragraph, in order (quotes 「」“”, and bare 道：)."""
    found: list[Unit] = []
    position = 0
    for match in _QUOTE.finditer(paragraph):
        before = paragraph[position : match.start()]
        speech = match.group(1) or match.group(2) or ""
        clause_sentences = sentences(before)
        clause = clause_sentences[-1] if clause_sentences else ""
        if clause and not clause.endswith(("。", "！", "？", "；")) and _SPEECH_VERB.search(clause):
            found.extend(
                _narration(
                    before[: len(before) - len(before.lstrip())] + "".join(clause_sentences[:-1])
                )
            )
            found.append(Unit("dialogue", speech.strip(), clause.rstrip("：:").strip()))
        else:
            found.extend(_narration(before))
            found.append(Unit("quote", speech.strip(), ""))
        position = match.end()
    found.extend(_narration(paragraph[position:]))
    return found


def _narration(text: str) -> list[Unit]:
    result = []
    for sentence in sentences(text):
        if _NOISE.match(sentence):
            continue
        bare = _BARE_SPEECH.match(sentence)
        if bare:
            result.append(Unit("dialogue", bare.group(2).strip(), bare.group(1).strip()))
        else:
            result.append(Unit("narration", sentence))
    return result
