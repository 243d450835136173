"""Output frame formats: the four presets and validated custom sizes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from laotie.core.errors import InvalidInput

#: smallest and largest side a custom size may have (pixels)
MIN_SIDE = 160
MAX_SIDE = 3840


@dataclass(frozen=True)
class VideoFormat:
    """Frame width and height in pixels and frames per second."""

    width: int
    height: int
    fps: int = 30

    @property
    def size(self) -> str:
        """``WIDTHxHEIGHT`` as ffmpeg writes it."""
        return f"{self.width}x{self.height}"

    @property
    def shortest_side(self) -> int:
        """The shorter of width and height (pixels)."""
        return min(self.width, self.height)


PRESETS: dict[str, VideoFormat] = {
    "vertical": VideoFormat(1080, 1920),
    "vertical-720": VideoFormat(720, 1280),
    "landscape": VideoFormat(1920, 1080),
    "square": VideoFormat(1080, 1080),
}


def parse_format(text: str, *, fps: int = 30) -> VideoFormat:
    """A preset name (vertical, vertical-720, landscape, square) or ``WxH`` with even sides."""
    if text in PRESETS:
        preset = PRESETS[text]
        return VideoFormat(preset.width, preset.height, fps)
    match = re.fullmatch(r"(\d{2,5})[xX*](\d{2,5})", text.strip())
    if not match:
        raise InvalidInput(
            f"unknown video size {text!r}", field="size", limit=[*PRESETS, "WIDTHxHEIGHT"]
        )
    width, height = int(match.group(1)), int(match.group(2))
    for side in (width, height):
        if not MIN_SIDE <= side <= MAX_SIDE or side % 2:
            raise InvalidInput(
                f"video size {text!r}: sides must be even and within {MIN_SIDE}-{MAX_SIDE}",
                field="size",
                limit=(MIN_SIDE, MAX_SIDE),
            )
    if not 10 <= fps <= 60:
        raise InvalidInput("fps must be within 10-60", field="fps", limit=(10, 60))
    return VideoFormat(width, height, fps)
