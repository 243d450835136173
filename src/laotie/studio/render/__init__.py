"""Rendering on ffmpeg: one filter graph per video, subtitles, cards, probing."""

from laotie.media import MediaInfo, extract_frame, probe
from laotie.studio.render.cards import PALETTES, title_card
from laotie.studio.render.compose import (
    MOTIONS,
    Composition,
    OverlayTrack,
    RenderResult,
    Shot,
    render,
)
from laotie.studio.render.formats import PRESETS, VideoFormat, parse_format
from laotie.studio.render.narrate import NarrateOptions, Progress, narrate, narrate_audio
from laotie.studio.render.script import NarrationScript, Scene, load_script, script_from_text

__all__ = [
    "MOTIONS",
    "PALETTES",
    "PRESETS",
    "Composition",
    "MediaInfo",
    "NarrateOptions",
    "NarrationScript",
    "OverlayTrack",
    "Progress",
    "RenderResult",
    "Scene",
    "Shot",
    "VideoFormat",
    "extract_frame",
    "load_script",
    "narrate",
    "narrate_audio",
    "parse_format",
    "probe",
    "render",
    "script_from_text",
    "title_card",
]
