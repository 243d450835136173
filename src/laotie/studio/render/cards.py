"""Title cards drawn with Pillow: a colour gradient, a wrapped CJK title and an optional line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from laotie.media import load_font
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.subtitles import wrap_cjk


@dataclass(frozen=True)
class Palette:
    """Gradient top/bottom colours and the text colours of a card style."""

    top: tuple[int, int, int]
    bottom: tuple[int, int, int]
    title: tuple[int, int, int] = (255, 255, 255)
    accent: tuple[int, int, int] = (255, 214, 102)


PALETTES: dict[str, Palette] = {
    "dusk": Palette((38, 32, 84), (196, 72, 104)),
    "ocean": Palette((8, 52, 92), (24, 160, 170)),
    "forest": Palette((20, 60, 40), (120, 170, 80)),
    "ember": Palette((90, 20, 10), (236, 120, 40), accent=(255, 240, 200)),
    "ink": Palette((18, 18, 24), (70, 70, 90)),
}


def _gradient(width: int, height: int, palette: Palette) -> Image.Image:
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    top, bottom = np.array(palette.top, np.float32), np.array(palette.bottom, np.float32)
    rows = (top[None, :] * (1 - ramp) + bottom[None, :] * ramp).astype(np.uint8)
    return Image.fromarray(np.repeat(rows[:, None, :], width, axis=1))


def _wrap(text: str, *, font_size: int, width_px: int) -> list[str]:
    per_row = max(2, int(width_px / font_size))
    rows: list[str] = []
    for paragraph in text.splitlines():
        rows.extend(wrap_cjk(paragraph.strip(), max_chars=per_row))
    return [r for r in rows if r] or [""]


def title_card(
    title: str,
    video: VideoFormat,
    *,
    out: Path,
    subtitle: str = "",
    palette: str = "dusk",
    centre: tuple[float, float] = (0.5, 0.5),
    text_width: float = 0.8,
) -> Path:
    """Draw a card with ``title`` (large) and ``subtitle`` (smaller, accent colour) as a PNG.

    ``centre`` places the text block's centre as shares of width and height; ``text_width``
    is the share of the width the text may use.
    """
    colours = PALETTES.get(palette, PALETTES["dusk"])
    image = _gradient(video.width, video.height, colours)
    draw = ImageDraw.Draw(image)
    title_size = max(16, round(video.shortest_side * 0.085))
    sub_size = max(12, round(video.shortest_side * 0.05))
    width_px = round(video.width * text_width)
    title_rows = _wrap(title, font_size=title_size, width_px=width_px)[:5]
    sub_rows = _wrap(subtitle, font_size=sub_size, width_px=width_px)[:4]
    title_font, sub_font = load_font(title_size), load_font(sub_size)
    line_title, line_sub = round(title_size * 1.35), round(sub_size * 1.4)
    block = len(title_rows) * line_title + (len(sub_rows) * line_sub + sub_size if subtitle else 0)
    x = round(video.width * centre[0])
    y = round(video.height * centre[1] - block / 2)
    for row in title_rows:
        draw.text((x, y), row, font=title_font, fill=colours.title, anchor="mt")
        y += line_title
    if subtitle:
        y += sub_size
        for row in sub_rows:
            draw.text((x, y), row, font=sub_font, fill=colours.accent, anchor="mt")
            y += line_sub
    image.save(out, format="PNG", compress_level=1)
    return out
