"""Wiring for ``studio make``: which script writer, voices and visual sources, from settings.

The CLI and the ``make`` job both call :func:`make_from_settings`; only this module reads
provider settings, so the pipeline itself stays free of configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings
from laotie.studio.ad.brief import parse_brief
from laotie.studio.make.library import MediaLibrary
from laotie.studio.make.pipeline import MadeVideo, MakeOptions, Progress, make_videos
from laotie.studio.make.script import (
    CHARS_PER_S,
    MadeScript,
    brief_script,
    given_script,
    llm_script,
    template_script,
)
from laotie.studio.make.visuals import (
    GeneratedImageSource,
    KlingSource,
    LibrarySource,
    StockSource,
    VisualSource,
    check_sources,
    image_size,
)
from laotie.studio.providers.image import OpenAiImages
from laotie.studio.providers.kling import KlingClient
from laotie.studio.providers.kolors import KolorsImages, nearest_size
from laotie.studio.providers.llm import OpenAICompatibleClient
from laotie.studio.render.formats import VideoFormat
from laotie.studio.tts.base import TtsEngine
from laotie.studio.tts.espeak import PINYIN_VOICE
from laotie.studio.tts.factory import engine_from_settings

#: espeak-ng voice variants the offline voice cycles through, one per video
ESPEAK_VOICES = (PINYIN_VOICE, f"{PINYIN_VOICE}+f3", f"{PINYIN_VOICE}+m3", f"{PINYIN_VOICE}+f2")


@dataclass(frozen=True)
class MakeSource:
    """What to make videos from: exactly one of a topic, a finished script or a brief."""

    topic: str = ""
    script: str = ""
    brief: dict[str, Any] | None = None
    title: str = ""

    def __post_init__(self) -> None:
        given = [bool(self.topic.strip()), bool(self.script.strip()), self.brief is not None]
        if sum(given) != 1:
            raise InvalidInput(
                "give exactly one of a topic, a script or a brief",
                field="topic",
                limit="one of topic, script, brief",
            )


def llm_configured(settings: Settings) -> bool:
    """True when an LLM base URL and model are set."""
    return bool(settings.llm_base_url and settings.llm_model)


def script_writer(
    source: MakeSource,
    *,
    settings: Settings,
    target_s: float,
    engine_name: str,
    use_llm: bool | None = None,
    llm: Any = None,
) -> Callable[[int], MadeScript]:
    """``variant -> script``: the LLM when configured (or given), else the template engine."""
    rate = CHARS_PER_S.get(engine_name, 4.0)
    if source.script.strip():
        made = given_script(
            source.script, max_chars=settings.studio_max_script_chars, title=source.title
        )
        return lambda _variant: made
    if source.brief is not None:
        brief = parse_brief(source.brief)
        return lambda variant: brief_script(
            brief, target_s=target_s, variant=variant, chars_per_s=rate
        )
    wants_llm = llm_configured(settings) if use_llm is None else use_llm
    if wants_llm:
        if llm is None:
            llm = OpenAICompatibleClient.from_settings(settings)
        model = llm
        return lambda variant: llm_script(
            source.topic, model, target_s=target_s, variant=variant, chars_per_s=rate
        )
    return lambda variant: template_script(
        source.topic, target_s=target_s, variant=variant, chars_per_s=rate
    )


def voice_for(
    settings: Settings, *, engine_name: str, voice: str, rate: float
) -> Callable[[int], TtsEngine]:
    """``variant -> engine``: the given voice for every video, or (espeak) a voice each."""

    def engine(variant: int) -> TtsEngine:
        chosen = voice
        if not chosen and engine_name == "espeak":
            chosen = ESPEAK_VOICES[variant % len(ESPEAK_VOICES)]
        return engine_from_settings(settings, voice=chosen, speed=rate, engine=engine_name)

    return engine


def visual_sources(
    names: Sequence[str], *, settings: Settings, video: VideoFormat, library: Path | None
) -> tuple[list[VisualSource], KlingClient | None]:
    """The sources named, built from settings, and the Kling client for ``kling-image``."""
    sources: list[VisualSource] = []
    kling_image = None
    for name in check_sources(names):
        if name == "library":
            if library is None:
                raise InvalidInput("the library source needs a folder", field="library")
            sources.append(LibrarySource(MediaLibrary(library)))
        elif name.startswith("pexels"):
            sources.append(
                StockSource(
                    name,
                    api_key=settings.pexels_api_key,
                    base_url=settings.pexels_base_url,
                    video=video,
                )
            )
        elif name.startswith("pixabay"):
            sources.append(
                StockSource(
                    name,
                    api_key=settings.pixabay_api_key,
                    base_url=settings.pixabay_base_url,
                    video=video,
                )
            )
        elif name == "openai":
            images = OpenAiImages(
                base_url=settings.image_base_url,
                api_key=settings.image_api_key,
                model=settings.image_model,
            )
            sources.append(GeneratedImageSource(name, images, size=image_size(video)))
        elif name == "kolors":
            kolors = KolorsImages(
                api_key=settings.kolors_api_key,
                base_url=settings.kolors_base_url,
                model=settings.kolors_model,
            )
            sources.append(
                GeneratedImageSource(name, kolors, size=nearest_size(video.width, video.height))
            )
        elif name == "kling":
            aspect = (
                "1:1"
                if video.width == video.height
                else ("9:16" if video.height > video.width else "16:9")
            )
            sources.append(KlingSource(KlingClient.from_settings(settings), aspect=aspect))
        else:  # kling-image
            kling_image = KlingClient.from_settings(settings)
    return sources, kling_image


def make_from_settings(
    source: MakeSource,
    *,
    settings: Settings,
    options: MakeOptions,
    out_dir: Path,
    target_s: float,
    visuals: Sequence[str] = ("library",),
    library: Path | None = None,
    engine_name: str = "",
    voice: str = "",
    rate: float = 1.0,
    use_llm: bool | None = None,
    llm: Any = None,
    progress: Progress = lambda _f, _m: None,
) -> list[MadeVideo]:
    """Make ``options.variants`` videos with the providers the settings configure."""
    if not 10 <= target_s <= 180:
        raise InvalidInput(
            "target length must be within 10-180 s", field="seconds", limit=(10, 180)
        )
    engine_name = engine_name or settings.tts_engine
    names = [n for n in visuals if n != "library" or library is not None]
    sources, kling_image = visual_sources(
        names, settings=settings, video=options.video, library=library
    )
    return make_videos(
        script_writer(
            source,
            settings=settings,
            target_s=target_s,
            engine_name=engine_name,
            use_llm=use_llm,
            llm=llm,
        ),
        engine_for=voice_for(settings, engine_name=engine_name, voice=voice, rate=rate),
        options=options,
        sources=sources,
        out_dir=out_dir,
        kling_image=kling_image,
        progress=progress,
    )
