"""Where subtitles go: the style a creator picks and a safe area they never leave.

The safe area is the frame minus the platform's UI zones (on a 9:16 feed: the top bar, the
caption/music/nav block at the bottom and the right-hand rail of like/comment/share buttons;
on 16:9 and 1:1, the player controls at the bottom) and minus any box to avoid (a presenter's
face). The subtitle band is placed at the chosen position if it fits there, else at the next
place that touches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from laotie.core.errors import InvalidInput
from laotie.studio.render.formats import VideoFormat

#: the font family name libass finds in wqy-microhei.ttc
FONT_FAMILY = "WenQuanYi Micro Hei"
POSITIONS = ("bottom", "middle", "top")
_HEX = re.compile(r"^#?([0-9A-Fa-f]{6})$")


@dataclass(frozen=True)
class Box:
    """A rectangle in frame pixels: left, top (inclusive), right, bottom (exclusive)."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        """Width in pixels."""
        return self.right - self.left

    def overlaps(self, other: Box) -> bool:
        """True when the two boxes share any pixel."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def rows_overlap(self, other: Box) -> bool:
        """True when the boxes share any row."""
        return self.top < other.bottom and other.top < self.bottom


def _colour(text: str, field_name: str) -> str:
    match = _HEX.match(text.strip())
    if not match:
        raise InvalidInput(f"{field_name} must be #RRGGBB: {text!r}", field=field_name)
    return match.group(1).upper()


@dataclass(frozen=True)
class SubtitleStyle:
    """Subtitle look: font family, size (share of the shortest side), colours, outline
    (share of the font size), position and weight."""

    font: str = FONT_FAMILY
    size_ratio: float = 0.075
    colour: str = "#FFFFFF"
    outline_colour: str = "#000000"
    outline_ratio: float = 1 / 14
    position: Literal["bottom", "middle", "top"] = "bottom"
    bold: bool = True

    def __post_init__(self) -> None:
        if not 0.02 <= self.size_ratio <= 0.15:
            raise InvalidInput(
                "subtitle size must be 2-15% of the frame", field="font_size", limit=(0.02, 0.15)
            )
        if self.position not in POSITIONS:
            raise InvalidInput("unknown subtitle position", field="position", limit=POSITIONS)
        if not re.fullmatch(r"[\w .\-]{1,64}", self.font):
            raise InvalidInput("font must be a family name", field="font", limit=64)
        _colour(self.colour, "colour")
        _colour(self.outline_colour, "outline_colour")

    def ass_colour(self) -> str:
        """The text colour as ASS writes it (``&H00BBGGRR``)."""
        rgb = _colour(self.colour, "colour")
        return f"&H00{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"

    def ass_outline_colour(self) -> str:
        """The outline colour as ASS writes it."""
        rgb = _colour(self.outline_colour, "outline_colour")
        return f"&H00{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def ui_zones(video: VideoFormat) -> tuple[Box, ...]:
    """The platform's UI zones for a frame: what a feed draws over the video."""
    w, h = video.width, video.height
    if h > w:
        return (
            Box(0, 0, w, round(h * 0.10)),  # status bar, tabs, search
            Box(0, round(h * 0.80), w, h),  # author, caption, music, navigation
            Box(round(w * 0.84), round(h * 0.38), w, round(h * 0.80)),  # like/comment/share
        )
    return (Box(0, 0, w, round(h * 0.06)), Box(0, round(h * 0.90), w, h))  # title, controls


@dataclass(frozen=True)
class SafeArea:
    """UI zones (default: the platform's for the frame) and extra boxes to avoid (faces)."""

    zones: tuple[Box, ...] | None = None
    avoid: tuple[Box, ...] = field(default_factory=tuple)

    def blocked(self, video: VideoFormat) -> tuple[Box, ...]:
        """Every box the subtitles must not touch."""
        zones = ui_zones(video) if self.zones is None else self.zones
        return (*zones, *self.avoid)


def _full_width(box: Box, video: VideoFormat) -> bool:
    return box.left <= 0 and box.right >= video.width


def _fit_sides(band: Box, video: VideoFormat, blocked: tuple[Box, ...], gap: int) -> Box:
    """Narrow ``band`` symmetrically so it clears side zones (the right rail) on its rows."""
    left, right = band.left, band.right
    for box in blocked:
        if _full_width(box, video) or not box.rows_overlap(band):
            continue
        if box.left > video.width // 2:
            right = min(right, box.left - gap)
        elif box.right < video.width // 2:
            left = max(left, box.right + gap)
    inset = max(left, video.width - right)
    return Box(inset, band.top, video.width - inset, band.bottom)


def subtitle_band(
    video: VideoFormat,
    *,
    style: SubtitleStyle,
    safe: SafeArea | None = None,
    font_px: int,
    rows: int = 2,
) -> Box:
    """The box the subtitles are drawn in: the chosen position if clear, else the clear
    place nearest to it (just below or above what is in the way)."""
    blocked = (safe or SafeArea()).blocked(video)
    gap = max(4, round(video.height * 0.012))
    height = round(rows * font_px * 1.3 + 2 * font_px * style.outline_ratio) + gap
    top_limit = (
        max([b.bottom for b in blocked if _full_width(b, video) and b.top <= 0] or [0]) + gap
    )
    bottom_limit = (
        min(
            [b.top for b in blocked if _full_width(b, video) and b.bottom >= video.height]
            or [video.height]
        )
        - gap
    )
    margin = round(video.width * 0.05)
    preferred = {
        "bottom": bottom_limit - height,
        "top": top_limit,
        "middle": round(video.height * 0.55 - height / 2),
    }[style.position]
    tops = [top_limit, bottom_limit - height]
    for box in blocked:
        tops += [box.bottom + gap, box.top - gap - height]
    fallback: Box | None = None
    # the preferred place first, then the clear place nearest to it
    for top in [preferred, *sorted(tops, key=lambda t: abs(t - preferred))]:
        if top < top_limit or top + height > bottom_limit:
            continue
        band = _fit_sides(Box(margin, top, video.width - margin, top + height), video, blocked, gap)
        if band.width < video.width * 0.4:
            continue
        if not any(band.overlaps(box) for box in blocked):
            return band
        fallback = fallback or band
    if fallback is None:
        raise InvalidInput(
            "no room for subtitles inside the safe area", field="subtitle", limit="safe area"
        )
    return fallback
