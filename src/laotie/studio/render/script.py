"""Narration scripts: plain text or a Studio I episode script (JSON) -> scenes of sentences."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from laotie.core.errors import InvalidInput
from laotie.studio.render.subtitles import shorten
from laotie.studio.tts.text import split_sentences


@dataclass(frozen=True)
class Scene:
    """A stretch of narration sharing one visual: a heading and its sentences."""

    heading: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class NarrationScript:
    """What gets spoken, grouped into scenes, and the video's title."""

    title: str
    scenes: tuple[Scene, ...]

    @property
    def sentences(self) -> list[str]:
        """Every sentence in speaking order."""
        return [s for scene in self.scenes for s in scene.sentences]

    @property
    def char_count(self) -> int:
        """Characters that will be spoken."""
        return sum(len(s) for s in self.sentences)


def _check(script: NarrationScript, *, max_chars: int, source: str) -> NarrationScript:
    if not script.sentences:
        raise InvalidInput(f"the script is empty: {source}", field="script", limit=">= 1 sentence")
    if script.char_count > max_chars:
        raise InvalidInput(
            f"the script has {script.char_count} characters, more than {max_chars}: {source}",
            field="script",
            limit=max_chars,
        )
    return script


def script_from_text(
    text: str, *, title: str = "", max_chars: int, sentence_chars: int = 40
) -> NarrationScript:
    """Paragraphs become scenes; the title defaults to the first sentence."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n") if p.strip()]
    scenes = []
    for number, paragraph in enumerate(paragraphs, start=1):
        sentences = tuple(split_sentences(paragraph, max_chars=sentence_chars))
        if sentences:
            scenes.append(Scene(f"{number}", sentences))
    first = scenes[0].sentences[0] if scenes else ""
    script = NarrationScript(
        title or shorten(first.rstrip("。！？!?，,"), max_chars=30), tuple(scenes)
    )
    return _check(script, max_chars=max_chars, source="text")


def _episode(data: dict[str, Any], episode: int | None) -> dict[str, Any]:
    if "scripts" in data:
        scripts = data["scripts"]
        if not isinstance(scripts, list) or not scripts:
            raise InvalidInput("the adaptation has no episode scripts", field="script")
        wanted = episode or scripts[0].get("episode", 1)
        for item in scripts:
            if item.get("episode") == wanted:
                return item
        raise InvalidInput(f"no episode {wanted} in the adaptation", field="episode")
    return data


def script_from_episode(
    data: dict[str, Any], *, episode: int | None = None, max_chars: int, sentence_chars: int = 40
) -> NarrationScript:
    """A Studio I episode script (or an adaptation holding several) as a narration script."""
    chosen = _episode(data, episode)
    scenes_data = chosen.get("scenes")
    if not isinstance(scenes_data, list):
        raise InvalidInput("episode script lacks its scenes list", field="script")
    number = chosen.get("episode", 1)
    title = f"第{number}集 {chosen.get('title', '')}".strip()
    scenes = []
    for scene in scenes_data:
        lines = scene.get("lines") or []
        sentences: list[str] = []
        for line in lines:
            sentences += split_sentences(str(line.get("text", "")), max_chars=sentence_chars)
        if sentences:
            heading = " ".join(
                str(scene.get(k, "")) for k in ("interior", "time", "place") if scene.get(k)
            )
            scenes.append(Scene(heading, tuple(sentences)))
    return _check(NarrationScript(title, tuple(scenes)), max_chars=max_chars, source="episode")


def load_script(
    path: Path, *, episode: int | None = None, max_chars: int, title: str = ""
) -> NarrationScript:
    """Read a ``.txt``/``.md`` narration or a ``.json`` episode script from ``path``."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"script not found: {path}", field="script", input=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"script is not UTF-8 text: {path}", field="script") from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"script is not valid JSON: {path}: {exc}", field="script") from exc
        if not isinstance(data, dict):
            raise InvalidInput(f"episode script must be a JSON object: {path}", field="script")
        return script_from_episode(data, episode=episode, max_chars=max_chars)
    return script_from_text(text, title=title, max_chars=max_chars)
