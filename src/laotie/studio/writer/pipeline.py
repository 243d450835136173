"""``adapt``: novel text in, a labelled adaptation (bible, outline, scripts) out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from laotie.core.aigc import EXPLICIT_NOTICE, AigcLabel, new_label
from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings, get_settings
from laotie.studio.providers.llm import LLMProvider, OpenAICompatibleClient
from laotie.studio.writer.bible import build_bible
from laotie.studio.writer.characters import (
    count_speakers,
    extract_characters,
    minor_characters,
)
from laotie.studio.writer.editor import CastBook
from laotie.studio.writer.lines import Cast
from laotie.studio.writer.llm_engine import adapt_llm
from laotie.studio.writer.model import Adaptation, Novel
from laotie.studio.writer.offline import DRAFT_NOTICE, build_offline
from laotie.studio.writer.people import non_person_reason
from laotie.studio.writer.segments import plan_segments
from laotie.studio.writer.speakers import name_index

ProgressFn = Callable[[float, str], None]
PRODUCER = "laotie-studio-writer"


def adapt_offline(
    novel: Novel,
    *,
    episodes: int,
    source_file: str = "",
    label: AigcLabel | None = None,
    progress: ProgressFn | None = None,
) -> Adaptation:
    """Adapt ``novel`` into ``episodes`` episodes with the offline extractive engine."""
    report = progress or (lambda fraction, message: None)
    report(0.0, "解析人物")
    speakers = count_speakers(novel)
    characters = extract_characters(novel, speakers=speakers)
    cast = Cast(characters, index=name_index(characters, speakers))
    segments = plan_segments(novel, episodes)
    report(0.1, "分集")
    outline, scripts = build_offline(
        novel, segments, cast, progress=lambda f, m: report(0.1 + 0.85 * f, m)
    )
    book = CastBook(characters)
    extra = {
        line.speaker
        for script in scripts
        for line in script.lines
        if line.speaker and not book.known(line.speaker) and non_person_reason(line.speaker) is None
    }
    characters = characters + minor_characters(novel, sorted(extra))
    bible = build_bible(novel, characters, segments, scripts)
    label = label or new_label(producer=PRODUCER)
    report(1.0, "完成")
    return Adaptation(
        title=novel.title,
        source_file=Path(source_file).name,
        source_chars=novel.char_count,
        engine="offline",
        draft_notice=DRAFT_NOTICE,
        aigc_notice=EXPLICIT_NOTICE,
        AIGC=label.to_dict(),
        bible=bible,
        outline=outline,
        scripts=scripts,
    )


def adapt(
    novel: Novel,
    *,
    episodes: int,
    engine: str = "offline",
    settings: Settings | None = None,
    provider: LLMProvider | None = None,
    source_file: str = "",
    progress: ProgressFn | None = None,
) -> Adaptation:
    """Adapt with the named engine; ``llm`` uses ``provider`` or one built from settings."""
    if engine == "offline":
        return adapt_offline(novel, episodes=episodes, source_file=source_file, progress=progress)
    if engine != "llm":
        raise InvalidInput("engine must be offline or llm", field="engine")

    settings = settings or get_settings()
    if provider is None:
        if not (settings.llm_base_url or settings.llm_preset):
            raise InvalidInput(
                "the llm engine needs LAOTIE_LLM_BASE_URL", field="LAOTIE_LLM_BASE_URL"
            )
        provider = OpenAICompatibleClient.from_settings(settings)
    return adapt_llm(
        novel,
        episodes=episodes,
        provider=provider,
        context_tokens=settings.llm_context_tokens,
        source_file=source_file,
        progress=progress,
    )
