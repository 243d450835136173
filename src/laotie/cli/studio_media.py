"""``laotie studio narrate | ad | presenter``: labelled videos from a script, a brief, a text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from laotie.cli._common import settings
from laotie.cli._media import media_progress, publish_video_item, report_result
from laotie.core.errors import InvalidInput
from laotie.studio.ad import llm_copies, load_brief, make_ads, template_copies
from laotie.studio.ad.make import VOICES, AdVoice
from laotie.studio.presenter import PresenterOptions, present
from laotie.studio.providers.kling import KlingClient
from laotie.studio.render import NarrateOptions, narrate, narrate_audio, parse_format
from laotie.studio.render.script import load_script, script_from_text
from laotie.studio.tts.base import TtsEngine
from laotie.studio.tts.factory import engine_for_voice, engine_from_settings

Size = Annotated[
    str, typer.Option(help="vertical (1080x1920), vertical-720, landscape, square, or WxH")
]
Music = Annotated[Path | None, typer.Option(help="background music, ducked under the voice")]
Publish = Annotated[
    bool, typer.Option(help="also create catalog items (kind video, AIGC confirmed)")
]
Json = Annotated[bool, typer.Option("--json", help="print the result as JSON")]


def narrate_command(
    script: Annotated[Path, typer.Argument(help="narration .txt/.md, or an episode script .json")],
    out: Annotated[Path, typer.Option(help="output .mp4 (or .m4a with --audio-only)")] = Path(
        "video.mp4"
    ),
    image: Annotated[
        list[Path] | None, typer.Option("--image", help="a visual (repeat, in order)")
    ] = None,
    size: Size = "vertical",
    music: Music = None,
    title: Annotated[str, typer.Option(help="title card text (default: first sentence)")] = "",
    episode: Annotated[int | None, typer.Option(help="episode number of an adaptation")] = None,
    audio_only: Annotated[bool, typer.Option(help="audio with a spoken AIGC notice")] = False,
    publish: Publish = False,
    as_json: Json = False,
) -> None:
    """Turn a script into a labelled narrated video.

    Example: laotie studio narrate story.txt --out story.mp4 --size vertical-720
    """
    config = settings()
    parsed = load_script(
        script, episode=episode, max_chars=config.studio_max_script_chars, title=title
    )
    engine = engine_from_settings(config)
    result: dict[str, object]
    if audio_only:
        path = narrate_audio(parsed, out=out, engine=engine)
        result = {"path": str(path), "srt_path": str(path.with_suffix(".srt"))}
    else:
        with media_progress(as_json) as progress:
            rendered = narrate(
                parsed,
                out=out,
                engine=engine,
                progress=progress,
                options=NarrateOptions(
                    video=parse_format(size), images=tuple(image or ()), music=music
                ),
            )
        result = {
            "path": str(rendered.path),
            "srt_path": str(rendered.srt_path),
            "duration_s": round(rendered.duration_s, 3),
        }
        if publish:
            result["item_id"] = publish_video_item(rendered.path, parsed.title, rendered.duration_s)
    report_result(result, as_json)


def ad_command(
    brief: Annotated[Path, typer.Argument(help="product brief JSON (name, selling_points, ...)")],
    variants: Annotated[int, typer.Option(help="how many ad videos to render (1-24)")] = 3,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("ads"),
    size: Size = "vertical",
    llm: Annotated[bool, typer.Option(help="write copy with the configured LLM")] = False,
    publish: Publish = False,
    as_json: Json = False,
) -> None:
    """Render N labelled ad videos from a product brief.

    Example: laotie studio ad brief.json --variants 4 --out ads/
    """
    config = settings()
    parsed = load_brief(brief)
    if llm:
        from laotie.studio.providers.llm import OpenAICompatibleClient

        copies = llm_copies(parsed, OpenAICompatibleClient.from_settings(config))
    else:
        copies = template_copies(parsed)

    def engine_for(voice: AdVoice) -> TtsEngine:
        return engine_for_voice(
            config, index=VOICES.index(voice), speed=voice.speed, pitch=voice.pitch
        )

    with media_progress(as_json) as progress:
        ads = make_ads(
            parsed,
            copies,
            out_dir=out,
            count=variants,
            video=parse_format(size),
            engine_for=engine_for,
            progress=progress,
        )
    rows = []
    for ad in ads:
        row = {
            "path": str(ad.result.path),
            "title": ad.copy.title,
            "template": ad.template,
            "cover": ad.cover,
            "voice": ad.voice.name,
            "duration_s": round(ad.result.duration_s, 3),
        }
        if publish:
            row["item_id"] = publish_video_item(ad.result.path, ad.copy.title, ad.result.duration_s)
        rows.append(row)
    report_result({"videos": rows}, as_json)


def presenter_command(
    text: Annotated[str, typer.Option(help="what the presenter says")],
    out: Annotated[Path, typer.Option(help="output .mp4")] = Path("presenter.mp4"),
    avatar: Annotated[Path | None, typer.Option(help="portrait image (default: drawn)")] = None,
    background: Annotated[
        list[Path] | None, typer.Option("--background", help="background image (repeat)")
    ] = None,
    size: Size = "vertical",
    music: Music = None,
    provider: Annotated[
        str, typer.Option(help="offline (2D, no network) or kling (Kling avatar API)")
    ] = "offline",
    publish: Publish = False,
    as_json: Json = False,
) -> None:
    """Render a digital-human presenter speaking a text.

    Example: laotie studio presenter --text "大家好，今天推荐一款好物。" --out host.mp4
    """
    config = settings()
    script = script_from_text(text, max_chars=config.studio_max_script_chars)
    if provider not in ("offline", "kling"):
        raise InvalidInput("provider must be offline or kling", field="provider")
    mode: Literal["offline", "kling"] = "kling" if provider == "kling" else "offline"
    with media_progress(as_json) as progress:
        rendered = present(
            script,
            out=out,
            engine=engine_from_settings(config),
            options=PresenterOptions(
                video=parse_format(size),
                avatar=avatar,
                backgrounds=tuple(background or ()),
                music=music,
                provider=mode,
            ),
            kling=KlingClient.from_settings(config) if mode == "kling" else None,
            progress=progress,
        )
    result = {
        "path": str(rendered.path),
        "srt_path": str(rendered.srt_path),
        "duration_s": round(rendered.duration_s, 3),
    }
    if publish:
        result["item_id"] = publish_video_item(rendered.path, script.title, rendered.duration_s)
    report_result(result, as_json)


def register(app: typer.Typer) -> None:
    """Add the media commands to the ``laotie studio`` group."""
    app.command("narrate")(narrate_command)
    app.command("ad")(ad_command)
    app.command("presenter")(presenter_command)
