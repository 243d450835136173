"""The CJK font every visible notice, card and subtitle is drawn with (and searched for)."""

from __future__ import annotations

from pathlib import Path

from PIL import ImageFont

from laotie.core.errors import MediaError

#: wqy-microhei from the Debian package fonts-wqy-microhei (see the Makefile's APT_PACKAGES)
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def load_font(size_px: int) -> ImageFont.FreeTypeFont:
    """The wqy-microhei font at ``size_px``; ``MediaError`` when the font is not installed."""
    try:
        return ImageFont.truetype(str(FONT_PATH), size_px)
    except OSError as exc:
        raise MediaError(
            f"CJK font missing: {FONT_PATH} (install fonts-wqy-microhei)", input=str(FONT_PATH)
        ) from exc


def font_for_glyph_height(text: str, glyph_height_px: int) -> ImageFont.FreeTypeFont:
    """The font size at which ``text``'s drawn glyphs (not the em box) reach
    ``glyph_height_px`` pixels (grown one pixel at a time, at most 40)."""
    size = glyph_height_px
    font = load_font(size)
    for _ in range(40):
        _, top, _, bottom = font.getbbox(text)
        if bottom - top >= glyph_height_px:
            break
        size += 1
        font = load_font(size)
    return font
