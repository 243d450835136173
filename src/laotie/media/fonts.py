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
