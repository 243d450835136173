"""Finding a visible "AI生成" notice on an image or video frame, without OCR.

Studio II draws the notice in wqy-microhei, light text on a dark badge, with a text height of
5-10% of the frame's shortest side. This detector renders that text itself at a range of
heights and looks for it by zero-mean normalised cross-correlation (FFT) over the frame's
grey levels; either polarity counts. It finds notices drawn in that font (or a close sans
face), horizontal, at 3.5-12% of the short side; it does not read other fonts, rotated,
handwritten or heavily stylised text (see docs/trust.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, UnidentifiedImageError
from scipy.signal import fftconvolve

from laotie.core.aigc import EXPLICIT_NOTICE_SHORT
from laotie.core.errors import MediaError
from laotie.media import font_for_glyph_height, frame_png

NOTICE_TEXT = EXPLICIT_NOTICE_SHORT
#: correlation at or above which the notice counts as present
MATCH_THRESHOLD = 0.72
#: frames are scaled so their shortest side has this many pixels before matching
_WORK_SIDE = 360
_HEIGHT_RATIOS = (0.035, 0.04, 0.045, 0.05, 0.055, 0.06, 0.065, 0.07, 0.08, 0.09, 0.1, 0.12)


@dataclass(frozen=True)
class NoticeMatch:
    """Best notice match: correlation score and the box in original-frame pixels."""

    score: float
    x: int
    y: int
    width: int
    height: int

    @property
    def found(self) -> bool:
        """True when the correlation reaches ``MATCH_THRESHOLD``."""
        return self.score >= MATCH_THRESHOLD


@lru_cache(maxsize=32)
def _template(text_height: int, text: str = NOTICE_TEXT) -> np.ndarray:
    font = font_for_glyph_height(text, text_height)
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    pad = max(2, text_height // 4)
    image = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(image).text((pad - left, pad - top), text, font=font, fill=255)
    return np.asarray(image, dtype=np.float64) / 255.0


def _box_sum(values: np.ndarray, h: int, w: int) -> np.ndarray:
    padded = np.pad(values, ((1, 0), (1, 0))).cumsum(0).cumsum(1)
    return padded[h:, w:] - padded[:-h, w:] - padded[h:, :-w] + padded[:-h, :-w]


def _ncc(frame: np.ndarray, template: np.ndarray) -> np.ndarray:
    h, w = template.shape
    centred = template - template.mean()
    norm_t = np.sqrt((centred**2).sum())
    corr = fftconvolve(frame, centred[::-1, ::-1], mode="valid")
    n = h * w
    local_sum = _box_sum(frame, h, w)
    local_sq = _box_sum(frame * frame, h, w)
    local_var = np.maximum(local_sq - local_sum**2 / n, 1e-9)
    return corr / (norm_t * np.sqrt(local_var))


def find_notice(image: Image.Image) -> NoticeMatch:
    """The best match of the visible notice anywhere on an image."""
    grey = image.convert("L")
    scale = _WORK_SIDE / min(grey.size)
    work = grey.resize(
        (max(1, round(grey.width * scale)), max(1, round(grey.height * scale))),
        Image.Resampling.BILINEAR,
    )
    frame = np.asarray(work, dtype=np.float64) / 255.0
    best = NoticeMatch(0.0, 0, 0, 0, 0)
    for ratio in _HEIGHT_RATIOS:
        template = _template(max(6, round(ratio * _WORK_SIDE)))
        if template.shape[0] > frame.shape[0] or template.shape[1] > frame.shape[1]:
            continue
        scores = np.abs(_ncc(frame, template))
        y, x = np.unravel_index(int(np.argmax(scores)), scores.shape)
        if scores[y, x] > best.score:
            h, w = template.shape
            best = NoticeMatch(
                float(scores[y, x]),
                round(x / scale),
                round(y / scale),
                round(w / scale),
                round(h / scale),
            )
    return best


def image_notice(path: Path) -> NoticeMatch:
    """Look for the visible notice on an image file."""
    try:
        with Image.open(path) as image:
            image.load()
            return find_notice(image)
    except (OSError, UnidentifiedImageError) as exc:
        raise MediaError(f"cannot read image {path}: {exc}", input=str(path)) from exc


def video_notice(path: Path, *, at_seconds: tuple[float, ...] = (0.5, 1.5)) -> NoticeMatch:
    """Look for the visible notice on frames near the start of a video (best frame wins)."""
    best = NoticeMatch(0.0, 0, 0, 0, 0)
    for seconds in at_seconds:
        png = frame_png(path, at_s=seconds)
        if not png:
            continue
        with Image.open(BytesIO(png)) as frame:
            match = find_notice(frame)
        if match.score > best.score:
            best = match
    return best
