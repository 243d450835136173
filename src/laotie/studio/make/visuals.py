"""One visual per sentence, from the sources a creator chose, in order, then a card.

Sources are tried in the order given for every sentence; the first that finds something
wins: the creator's folder (``library``, jieba keywords), stock footage (``pexels``,
``pixabay``: clips, or photos with ``-photo``), generated images (``openai``, ``kolors``),
generated clips (``kling``: text2video; ``kling-image``: image2video of the still the later
sources find). A sentence nothing matched gets a gradient card. Provider failures (bad key,
quota, refused content) are not hidden behind a card: they stop the job with their message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from laotie.core.errors import InvalidInput
from laotie.studio.make.library import MediaLibrary, keywords
from laotie.studio.providers.kling import KlingClient
from laotie.studio.providers.stock import MediaKind, stock_client
from laotie.studio.render.cards import title_card
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.visuals import is_clip

#: every source name ``--visuals`` accepts
VISUAL_SOURCES = (
    "library",
    "pexels",
    "pexels-photo",
    "pixabay",
    "pixabay-photo",
    "openai",
    "kolors",
    "kling",
    "kling-image",
)


class ImageGenerator(Protocol):
    """Anything that draws one image for a prompt (OpenAI images, Kolors)."""

    def image(self, prompt: str, *, out: Path, size: str) -> Path:
        """Draw ``prompt`` into the PNG ``out``."""
        ...


@dataclass(frozen=True)
class Visual:
    """The visual of one sentence: the file, which source gave it, the keywords and credit."""

    path: Path
    source: str
    keywords: tuple[str, ...]
    credit: str = ""


class VisualSource(Protocol):
    """One place visuals come from."""

    name: str

    def fetch(
        self, sentence: str, *, topic: str, variant: int, used: set[Path], out_dir: Path
    ) -> Visual | None:
        """A visual for ``sentence`` or None when this source has nothing for it."""
        ...


class LibrarySource:
    """The creator's own folder."""

    name = "library"

    def __init__(self, library: MediaLibrary) -> None:
        self.library = library

    def fetch(
        self, sentence: str, *, topic: str, variant: int, used: set[Path], out_dir: Path
    ) -> Visual | None:
        """The library file sharing the most keywords with ``sentence``; for a sentence that
        shares none, the unused file sharing the most with the video's ``topic``."""
        found = self.library.match(sentence, used=used, variant=variant)
        if found is None:
            by_topic = self.library.match(topic, used=used, variant=variant)
            if by_topic is None or by_topic[0] in used:
                return None
            found = by_topic
        return Visual(found[0], self.name, found[1])


class StockSource:
    """Pexels or Pixabay search for the sentence's keywords."""

    def __init__(self, name: str, *, api_key: str, base_url: str, video: VideoFormat) -> None:
        provider, _, photo = name.partition("-")
        self.name = name
        self.kind: MediaKind = "photo" if photo else "video"
        self.video = video
        self.client = stock_client(provider, api_key=api_key, base_url=base_url)

    def fetch(
        self, sentence: str, *, topic: str, variant: int, used: set[Path], out_dir: Path
    ) -> Visual | None:
        """The ``variant``-th hit for the sentence's top keywords (the topic's, if none)."""
        words = keywords(sentence, count=3) or keywords(topic, count=3)
        if not words:
            return None
        found = self.client.find(
            " ".join(words[:2]),
            kind=self.kind,
            width=self.video.width,
            height=self.video.height,
            out_dir=out_dir,
            skip=variant,
        )
        if found is None:
            return None
        credit = f"{found.credit} / {found.provider} {found.source_url}".strip()
        return Visual(found.path, self.name, words, credit)


def image_size(video: VideoFormat) -> str:
    """The generation size asked of OpenAI-style image APIs for a frame's shape."""
    if video.width == video.height:
        return "1024x1024"
    return "1024x1536" if video.height > video.width else "1536x1024"


class GeneratedImageSource:
    """A text-to-image provider drawing each sentence."""

    def __init__(self, name: str, generator: ImageGenerator, *, size: str) -> None:
        self.name = name
        self.generator = generator
        self.size = size

    def fetch(
        self, sentence: str, *, topic: str, variant: int, used: set[Path], out_dir: Path
    ) -> Visual | None:
        """A picture of ``sentence`` (photographic, no text in it)."""
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / f"{self.name}_{len(list(out_dir.glob(self.name + '_*')))}.png"
        prompt = f"{sentence.rstrip('。！？')}。写实摄影风格，画面干净，无文字。"
        return Visual(self.generator.image(prompt, out=out, size=self.size), self.name, ())


class KlingSource:
    """Kling text2video: a generated clip per sentence."""

    name = "kling"

    def __init__(self, client: KlingClient, *, aspect: str) -> None:
        self.client = client
        self.aspect = aspect

    def fetch(
        self, sentence: str, *, topic: str, variant: int, used: set[Path], out_dir: Path
    ) -> Visual | None:
        """A five-second clip of ``sentence``."""
        out_dir.mkdir(parents=True, exist_ok=True)
        out = out_dir / f"kling_{len(list(out_dir.glob('kling_*')))}.mp4"
        clip = self.client.generate(
            "text2video", out=out, prompt=sentence, aspect_ratio=self.aspect, duration_s=5
        )
        return Visual(clip, self.name, ())


def _card(
    sentence: str,
    number: int,
    *,
    title: str,
    video: VideoFormat,
    palettes: Sequence[str],
    out_dir: Path,
) -> Visual:
    words = keywords(sentence, count=3)
    heading = title if number == 0 else " · ".join(words[:2]) or title
    out_dir.mkdir(parents=True, exist_ok=True)
    card = title_card(
        heading,
        video,
        out=out_dir / f"card_{number:03d}.png",
        palette=palettes[number % len(palettes)],
        centre=(0.5, 0.38),
    )
    return Visual(card, "card", words)


def plan_visuals(
    sentences: Sequence[str],
    sources: Sequence[VisualSource],
    *,
    title: str,
    video: VideoFormat,
    variant: int,
    out_dir: Path,
    palettes: Sequence[str],
    kling_image: KlingClient | None = None,
) -> list[Visual]:
    """A visual for every sentence: the first source that finds one, else a card; with
    ``kling_image`` each still found is animated by Kling image2video."""
    used: set[Path] = set()
    visuals: list[Visual] = []
    for number, sentence in enumerate(sentences):
        chosen: Visual | None = None
        for source in sources:
            chosen = source.fetch(
                sentence, topic=title, variant=variant, used=used, out_dir=out_dir / source.name
            )
            if chosen is not None:
                break
        if chosen is None:
            chosen = _card(
                sentence, number, title=title, video=video, palettes=palettes, out_dir=out_dir
            )
        if kling_image is not None and not is_clip(chosen.path):
            clip = kling_image.generate(
                "image2video",
                out=out_dir / f"kling_image_{number:03d}.mp4",
                image=chosen.path,
                prompt=sentence,
                duration_s=5,
            )
            chosen = Visual(clip, f"kling-image({chosen.source})", chosen.keywords, chosen.credit)
        used.add(chosen.path)
        visuals.append(chosen)
    return visuals


def check_sources(names: Sequence[str]) -> tuple[str, ...]:
    """``names`` if every one is a known source (each at most once), else ``InvalidInput``."""
    for name in names:
        if name not in VISUAL_SOURCES:
            raise InvalidInput(
                f"unknown visual source {name!r}", field="visuals", limit=VISUAL_SOURCES
            )
    if len(set(names)) != len(names):
        raise InvalidInput("a visual source is named twice", field="visuals")
    return tuple(names)
