"""Studio media test helpers (solid images, a tone, pixel checks), offered as fixtures."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def solid_image(
    path: Path, colour: tuple[int, int, int], size: tuple[int, int] = (400, 300)
) -> Path:
    """A single-colour image (format from the suffix)."""
    Image.new("RGB", size, colour).save(path)
    return path


def tone_wav(path: Path, *, seconds: float, hz: float = 440.0, rate: int = 22_050) -> Path:
    """A mono 16-bit sine tone."""
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(frames)
    return path


def white_rows(frame: Path, box: tuple[int, int, int, int]) -> int:
    """Rows inside ``box`` (left, top, right, bottom) that hold near-white text pixels."""
    pixels = np.asarray(Image.open(frame).convert("RGB"), dtype=np.int16)
    left, top, right, bottom = box
    region = pixels[top:bottom, left:right]
    white = (region > 200).all(axis=2)
    rows = np.nonzero(white.any(axis=1))[0]
    return int(rows.max() - rows.min() + 1) if rows.size else 0


def mean_colour(frame: Path, box: tuple[int, int, int, int]) -> np.ndarray:
    """Mean RGB of a region of a frame."""
    pixels = np.asarray(Image.open(frame).convert("RGB"), dtype=np.float64)
    left, top, right, bottom = box
    return pixels[top:bottom, left:right].reshape(-1, 3).mean(axis=0)


class MediaKit:
    """The helpers above, handed to tests through the ``media`` fixture."""

    solid_image = staticmethod(solid_image)
    tone_wav = staticmethod(tone_wav)
    white_rows = staticmethod(white_rows)
    mean_colour = staticmethod(mean_colour)


@pytest.fixture
def media() -> MediaKit:
    """Media helpers for the studio media tests."""
    return MediaKit()
