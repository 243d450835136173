"""Text preparation for speech: sentence splitting, numbers in Chinese, pinyin with tones."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

from laotie.core.errors import InvalidInput

#: sentence ends (Chinese and ASCII); the mark stays with its sentence
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…\n])")
#: where an over-long sentence may be cut
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)[%％]")
_DIGITS = "零一二三四五六七八九"
_PUNCT_TO_ASCII = str.maketrans(
    {"，": ",", "、": ",", "。": ".", "！": "!", "？": "?", "；": ";", "：": ":", "…": "."}
)
#: characters a subtitle or a pinyin string does not need
_DROP = re.compile(r"[“”‘’\"'《》〈〉（）()【】\[\]「」『』—~～*#]")


def split_sentences(text: str, *, max_chars: int = 40) -> list[str]:
    """Split text into sentences of at most ``max_chars`` characters (cut at commas if needed)."""
    if max_chars < 4:
        raise InvalidInput("max_chars must be at least 4", field="max_chars", limit=4)
    sentences: list[str] = []
    for raw in _SENTENCE_END.split(text):
        sentence = raw.strip()
        if not sentence or not re.search(r"\w", sentence):
            continue
        sentences.extend(_cut(sentence, max_chars))
    return sentences


def _cut(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts: list[str] = []
    current = ""
    for clause in _CLAUSE_END.split(sentence):
        while len(clause) > max_chars:
            if current:
                parts.append(current)
                current = ""
            parts.append(clause[:max_chars])
            clause = clause[max_chars:]
        if len(current) + len(clause) > max_chars and current:
            parts.append(current)
            current = ""
        current += clause
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if re.search(r"\w", p)]


def _int_to_chinese(value: int) -> str:
    if value == 0:
        return "零"
    if value >= 10**12:
        return "".join(_DIGITS[int(d)] for d in str(value))
    units = [(10**8, "亿"), (10**4, "万"), (1000, "千"), (100, "百"), (10, "十")]
    for size, name in units:
        if value >= size:
            head, rest = divmod(value, size)
            head_text = "" if (size == 10 and head == 1) else _int_to_chinese(head)
            if rest == 0:
                tail = ""
            elif rest < size // 10:
                tail = "零" + _int_to_chinese(rest)
            else:
                tail = _int_to_chinese(rest) if size != 10 else _DIGITS[rest]
            return head_text + name + tail
    return _DIGITS[value]


def number_to_chinese(number: str) -> str:
    """Read a decimal number the way a Mandarin speaker says it ("29.9" -> "二十九点九")."""
    whole, _, fraction = number.partition(".")
    spoken = _int_to_chinese(int(whole))
    if fraction:
        spoken += "点" + "".join(_DIGITS[int(d)] for d in fraction)
    return spoken


def spoken_text(text: str) -> str:
    """The text as it should be spoken: numbers written out, symbols that are not read removed."""
    text = _PERCENT.sub(lambda m: "百分之" + number_to_chinese(m.group(1)), text)
    text = text.replace("¥", "").replace("￥", "")
    text = _NUMBER.sub(lambda m: number_to_chinese(m.group(0)), text)
    return _DROP.sub("", text)


def to_pinyin(text: str) -> str:
    """Numbered-tone pinyin (``ni3 hao3``) for espeak-ng's ``cmn-latn-pinyin`` voice."""
    syllables = lazy_pinyin(spoken_text(text), style=Style.TONE3, neutral_tone_with_five=True)
    words = " ".join(s.strip() for s in syllables if s.strip())
    words = words.translate(_PUNCT_TO_ASCII)
    return re.sub(r"\s+", " ", words).strip()
