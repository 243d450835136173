"""``laotie studio make`` (topic -> finished videos) and ``laotie studio kling`` (clips)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from laotie.cli._common import console, emit_json, settings
from laotie.cli._media import media_progress, publish_video_item, report_result
from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput
from laotie.studio.make.pipeline import MakeOptions, aspect_format
from laotie.studio.make.service import MakeSource, make_from_settings
from laotie.studio.make.visuals import VISUAL_SOURCES
from laotie.studio.providers.kling import KlingClient
from laotie.studio.render.layout import SubtitleStyle

Json = Annotated[bool, typer.Option("--json", help="print the result as JSON")]


def make_command(
    topic: Annotated[
        str, typer.Argument(help="what the video is about (or use --script/--brief)")
    ] = "",
    script: Annotated[
        Path | None, typer.Option(help="a finished script (.txt/.md) instead of a topic")
    ] = None,
    brief: Annotated[
        Path | None, typer.Option(help="a product brief (.json) instead of a topic")
    ] = None,
    seconds: Annotated[float, typer.Option(help="target length of each video (s, 10-180)")] = 45.0,
    variants: Annotated[int, typer.Option(help="how many different videos to make (1-10)")] = 1,
    aspect: Annotated[str, typer.Option(help="9:16, 16:9 or 1:1")] = "9:16",
    resolution: Annotated[int, typer.Option(help="short side in pixels (e.g. 1080, 720)")] = 1080,
    visuals: Annotated[
        str,
        typer.Option(help=f"sources tried in order, comma-separated: {', '.join(VISUAL_SOURCES)}"),
    ] = "library",
    library: Annotated[
        Path | None, typer.Option(help="your folder of images/clips (jieba-matched)")
    ] = None,
    music_dir: Annotated[
        Path | None, typer.Option(help="folder of background music (ducked)")
    ] = None,
    tts: Annotated[
        str, typer.Option(help="espeak, openai, azure or volcengine (default: settings)")
    ] = "",
    voice: Annotated[str, typer.Option(help="voice name of the speech engine")] = "",
    rate: Annotated[float, typer.Option(help="speaking rate, 1.0 = normal")] = 1.0,
    llm: Annotated[
        bool | None, typer.Option(help="write the script with the LLM (default: if configured)")
    ] = None,
    font: Annotated[str, typer.Option(help="subtitle font family")] = SubtitleStyle.font,
    font_size: Annotated[
        float, typer.Option(help="subtitle size, share of the short side")
    ] = 0.075,
    colour: Annotated[str, typer.Option(help="subtitle colour #RRGGBB")] = "#FFFFFF",
    outline_colour: Annotated[
        str, typer.Option(help="subtitle outline colour #RRGGBB")
    ] = "#000000",
    position: Annotated[
        str, typer.Option(help="subtitle position: bottom, middle, top")
    ] = "bottom",
    transition: Annotated[
        str, typer.Option(help="auto, none, fade, dissolve, wipeleft, ...")
    ] = "auto",
    out: Annotated[Path, typer.Option(help="output folder")] = Path("made"),
    publish: Annotated[bool, typer.Option(help="also create catalog items")] = False,
    as_json: Json = False,
) -> None:
    """Make finished, labelled short videos from a topic in one command.

    Example: laotie studio make "新手如何开始跑步" --variants 3 --library ~/素材 --out made/
    """
    config = settings()
    text = script.read_text(encoding="utf-8") if script else ""
    brief_data = json.loads(brief.read_text(encoding="utf-8")) if brief else None
    if brief_data is not None and not isinstance(brief_data, dict):
        raise InvalidInput("the brief must be a JSON object", field="brief")
    if brief_data is not None:
        base = brief.parent if brief else Path(".")
        brief_data["images"] = [str(base / p) for p in brief_data.get("images", [])]
    source = MakeSource(topic=topic, script=text, brief=brief_data)
    options = MakeOptions(
        video=aspect_format(aspect, short_side=resolution),
        variants=variants,
        style=SubtitleStyle(
            font=font,
            size_ratio=font_size,
            colour=colour,
            outline_colour=outline_colour,
            position=position,  # type: ignore[arg-type]
        ),
        transition=transition,
        music_dir=music_dir,
    )
    with media_progress(as_json) as progress:
        made = make_from_settings(
            source,
            settings=config,
            options=options,
            out_dir=out,
            target_s=seconds,
            visuals=[v.strip() for v in visuals.split(",") if v.strip()],
            library=library,
            engine_name=tts,
            voice=voice,
            rate=rate,
            use_llm=llm,
            progress=progress,
        )
    rows = []
    for video in made:
        row = video.as_dict()
        if publish:
            row["item_id"] = publish_video_item(
                video.result.path, video.title, video.result.duration_s
            )
        rows.append(row)
    if as_json:
        emit_json({"videos": rows})
        return
    for row in rows:
        sources = sorted({v["source"] for v in row["visuals"]})
        console.print(
            f"[bold]{row['path']}[/] {row['duration_s']} s, script: {row['script_source']}, "
            f"visuals: {', '.join(sources)}, transition: {row['transition']}, cover: {row['cover']}"
        )


def kling_command(
    mode: Annotated[str, typer.Argument(help="text2video or image2video")],
    prompt: Annotated[str, typer.Option(help="what the clip shows")] = "",
    image: Annotated[Path | None, typer.Option(help="the still to animate (image2video)")] = None,
    aspect: Annotated[str, typer.Option(help="9:16, 16:9 or 1:1 (text2video)")] = "9:16",
    duration: Annotated[int, typer.Option(help="clip length: 5 or 10 s")] = 5,
    out: Annotated[Path, typer.Option(help="output .mp4 (labelled)")] = Path("kling.mp4"),
    as_json: Json = False,
) -> None:
    """Generate a labelled clip with Kling (text2video or image2video).

    Example: laotie studio kling text2video --prompt "清晨的果园，阳光穿过树叶" --out orchard.mp4
    """
    config = settings()
    params = kling_params(mode, prompt=prompt, image=image, aspect=aspect, duration=duration)
    client = KlingClient(
        access_key=config.kling_access_key,
        secret_key=config.kling_secret_key,
        base_url=config.kling_base_url,
    )
    with media_progress(as_json) as progress:
        progress(0.1, f"waiting for Kling {mode}")
        path = client.generate(mode, out=out, label=new_label(), **params)
    report_result({"path": str(path), "mode": mode}, as_json)


def kling_params(
    mode: str, *, prompt: str, image: Path | None, aspect: str, duration: int
) -> dict[str, object]:
    """Kling task parameters for ``mode``, checked (names the field and the limit)."""
    if duration not in (5, 10):
        raise InvalidInput("Kling clips are 5 or 10 s", field="duration", limit=(5, 10))
    if mode == "text2video":
        if aspect not in ("9:16", "16:9", "1:1"):
            raise InvalidInput("aspect must be 9:16, 16:9 or 1:1", field="aspect")
        return {"prompt": prompt, "aspect_ratio": aspect, "duration_s": duration}
    if mode == "image2video":
        if image is None:
            raise InvalidInput("image2video needs an image", field="image")
        return {"image": image, "prompt": prompt, "duration_s": duration}
    raise InvalidInput(
        f"unknown Kling mode {mode!r}", field="mode", limit=("text2video", "image2video")
    )


def register(app: typer.Typer) -> None:
    """Add ``make`` and ``kling`` to the ``laotie studio`` group."""
    app.command("make")(make_command)
    app.command("kling")(kling_command)
