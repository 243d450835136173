"""The creator's own folder of images and clips, matched to sentences by jieba keywords.

A file's words come from its name, the names of the folders it sits in (below the library
root) and, when present, a sidecar ``<name>.txt`` of tags or a caption. A sentence's
keywords are jieba's TF-IDF top words; the file sharing the most (weighted) keywords wins,
files not yet used in this video first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from laotie.core.errors import InvalidInput
from laotie.studio.render.visuals import CLIP_SUFFIXES

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
#: most files a library may hold (the scan stops there)
MAX_LIBRARY_FILES = 5000


@lru_cache(maxsize=4096)
def keywords(text: str, *, count: int = 5) -> tuple[str, ...]:
    """The ``count`` most telling words of ``text`` (jieba TF-IDF), best first."""
    import jieba.analyse

    return tuple(jieba.analyse.extract_tags(text, topK=count))


def _words(text: str) -> set[str]:
    import jieba

    return {w.lower() for w in jieba.cut_for_search(text) if len(w.strip()) > 1 or w.isalnum()}


@dataclass(frozen=True)
class LibraryFile:
    """A usable file of the library and the words it is known by."""

    path: Path
    words: frozenset[str]


class MediaLibrary:
    """Images and clips under ``root`` indexed by the words of their names and tags."""

    def __init__(self, root: Path) -> None:
        root = Path(root)
        if not root.is_dir():
            raise InvalidInput(f"media library folder not found: {root}", field="library")
        self.root = root
        self.files = tuple(self._scan())

    def _scan(self) -> Iterable[LibraryFile]:
        suffixes = (*IMAGE_SUFFIXES, *CLIP_SUFFIXES)
        found = 0
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() not in suffixes or not path.is_file():
                continue
            if path.name.startswith("."):
                continue
            text = " ".join([*path.relative_to(self.root).parent.parts, path.stem])
            sidecar = path.with_suffix(".txt")
            if sidecar.is_file():
                text += " " + sidecar.read_text(encoding="utf-8", errors="replace")[:2000]
            yield LibraryFile(path, frozenset(_words(text.replace("_", " ").replace("-", " "))))
            found += 1
            if found >= MAX_LIBRARY_FILES:
                return

    def match(
        self, sentence: str, *, used: set[Path], variant: int = 0, extra: Iterable[str] = ()
    ) -> tuple[Path, tuple[str, ...]] | None:
        """The best file for ``sentence`` and the keywords it matched on (None when no file
        shares a keyword); among equally good files, ``variant`` picks which."""
        wanted = [*keywords(sentence), *extra]
        scored: list[tuple[float, LibraryFile, tuple[str, ...]]] = []
        for item in self.files:
            hits = tuple(w for w in wanted if w.lower() in item.words)
            if hits:
                # earlier keywords weigh more; an unused file beats a used one
                score = sum(1.0 / (1 + wanted.index(w)) for w in hits)
                scored.append((score + (0.0 if item.path in used else 10.0), item, hits))
        if not scored:
            return None
        top = max(score for score, _, _ in scored)
        ties = [(item, hits) for score, item, hits in scored if score == top]
        item, hits = ties[variant % len(ties)]
        return item.path, hits
