"""Perceptual hashes of images and video keyframes (DCT pHash, 64 bits) and their index.

A pHash survives re-encoding, resizing and small overlays; two images are near-duplicates
when their hashes differ in at most ``MAX_DISTANCE`` bits. A video is represented by the
hashes of frames sampled once per second (ffmpeg, scaled to 32x32 grey).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy.fft import dctn

from laotie.core.errors import MediaError
from laotie.media import grey_frames

MAX_DISTANCE = 10
_SIDE = 32
_FRAME_BYTES = _SIDE * _SIDE
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"})


def _phash_pixels(pixels: np.ndarray) -> int:
    low = dctn(pixels.astype(np.float64), norm="ortho")[:8, :8].ravel()
    median = np.median(low[1:])
    bits = low > median
    return int(sum(1 << i for i, bit in enumerate(bits) if bit))


def image_phash(path: Path) -> int:
    """The 64-bit pHash of an image file."""
    try:
        with Image.open(path) as image:
            grey = image.convert("L").resize((_SIDE, _SIDE), Image.Resampling.LANCZOS)
    except (OSError, UnidentifiedImageError) as exc:
        raise MediaError(f"cannot read image {path}: {exc}", input=str(path)) from exc
    return _phash_pixels(np.asarray(grey))


def video_phashes(path: Path, *, max_frames: int = 60) -> list[int]:
    """pHashes of one frame per second of a video (at most ``max_frames``)."""
    raw = grey_frames(path, side=_SIDE, per_second=1, max_frames=max_frames)
    if not raw:
        raise MediaError(f"cannot read video {path}: no frames", input=str(path))
    frames = np.frombuffer(raw, dtype=np.uint8)
    frames = frames[: len(frames) // _FRAME_BYTES * _FRAME_BYTES].reshape(-1, _SIDE, _SIDE)
    return [_phash_pixels(frame) for frame in frames]


def media_phashes(path: Path) -> list[int]:
    """pHashes of an image (one) or a video (one per second) by file suffix."""
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return [image_phash(path)]
    if suffix in VIDEO_SUFFIXES:
        return video_phashes(path)
    raise MediaError(f"unsupported media type {suffix!r} for {path}", input=str(path))


def hamming(a: np.ndarray, b: int) -> np.ndarray:
    """Bit distances between each 64-bit hash in ``a`` and ``b``."""
    return np.bitwise_count(a ^ np.uint64(b)).astype(np.int64)


@dataclass(frozen=True)
class MediaMatch:
    """An indexed item whose frames match the query: share of query frames matched."""

    key: int
    share: float


class MediaIndex:
    """Brute-force Hamming search over all indexed frame hashes (numpy, fast to ~10^7)."""

    def __init__(self, *, max_distance: int = MAX_DISTANCE) -> None:
        self.max_distance = max_distance
        self._hashes = np.empty(0, dtype=np.uint64)
        self._owners = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(np.unique(self._owners))

    def add(self, key: int, hashes: Sequence[int]) -> None:
        """Index the frame hashes of item ``key``."""
        self._hashes = np.concatenate([self._hashes, np.asarray(hashes, dtype=np.uint64)])
        self._owners = np.concatenate([self._owners, np.full(len(hashes), key, np.int64)])

    def query(
        self, hashes: Sequence[int], *, min_share: float = 0.5, exclude: int | None = None
    ) -> list[MediaMatch]:
        """Items matching at least ``min_share`` of the query's frames, best first."""
        if not len(hashes) or not len(self._hashes):
            return []
        matched: dict[int, int] = {}
        for value in hashes:
            near = self._owners[hamming(self._hashes, value) <= self.max_distance]
            for key in np.unique(near).tolist():
                if key != exclude:
                    matched[key] = matched.get(key, 0) + 1
        found = [MediaMatch(k, n / len(hashes)) for k, n in matched.items()]
        found = [m for m in found if m.share >= min_share]
        return sorted(found, key=lambda m: (-m.share, m.key))
