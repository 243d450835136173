"""Presenter motion from the voice: mouth openness per frame from loudness, and blinks.

All of it is vectorised numpy over the narration samples; the result is a run-length
ffconcat list of sprite PNGs that ffmpeg reads as one video track (no per-frame Python).
"""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np

from laotie.core.errors import MediaError

#: mouth openness levels a sprite set has (0 = closed)
MOUTH_LEVELS = 4
#: loudness share (of the voice's loud frames) where each open level starts
LEVEL_THRESHOLDS = (0.18, 0.45, 0.72)
#: blink length and the range of gaps between blinks (seconds)
BLINK_S = 0.15
BLINK_GAP_S = (2.2, 5.0)


def _samples(path: Path) -> tuple[np.ndarray, int]:
    try:
        with wave.open(str(path), "rb") as handle:
            rate, width, channels = (
                handle.getframerate(),
                handle.getsampwidth(),
                handle.getnchannels(),
            )
            raw = handle.readframes(handle.getnframes())
    except (wave.Error, OSError) as exc:
        raise MediaError(f"cannot read voice track {path}: {exc}", input=str(path)) from exc
    if width != 2:
        raise MediaError(f"voice track must be 16-bit PCM: {path}", input=str(path))
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


def mouth_levels(voice: Path, *, fps: int, frames: int) -> np.ndarray:
    """Mouth level (0..3) for each of ``frames`` video frames, from the voice's RMS loudness."""
    samples, rate = _samples(voice)
    per_frame = max(1, rate // fps)
    needed = frames * per_frame
    padded = np.zeros(needed, dtype=np.float32)
    padded[: min(needed, samples.size)] = samples[:needed]
    rms = np.sqrt((padded.reshape(frames, per_frame) ** 2).mean(axis=1))
    loud = rms[rms > 1e-3]
    reference = float(np.percentile(loud, 90)) if loud.size else 1.0
    share = np.clip(rms / max(reference, 1e-6), 0.0, 1.0)
    levels = np.digitize(share, LEVEL_THRESHOLDS).astype(np.int8)
    # hold each opening for two frames so the mouth does not flicker at 30 fps
    held = levels.copy()
    held[1:] = np.maximum(levels[1:], levels[:-1])
    return held


def blink_mask(frames: int, *, fps: int, seed: int = 7) -> np.ndarray:
    """True on frames where the eyes are shut: short blinks at irregular intervals."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(frames, dtype=bool)
    at = rng.uniform(0.8, BLINK_GAP_S[0]) * fps
    length = max(1, round(BLINK_S * fps))
    while at < frames:
        start = int(at)
        mask[start : start + length] = True
        at += rng.uniform(*BLINK_GAP_S) * fps
    return mask


def write_track(
    levels: np.ndarray,
    blinks: np.ndarray,
    *,
    fps: int,
    sprite: Callable[[int, bool], Path],
    out: Path,
) -> Path:
    """An ffconcat list showing ``sprite(level, eyes_closed)`` per frame, run-length encoded."""
    states = levels.astype(np.int16) * 2 + blinks.astype(np.int16)
    change = np.flatnonzero(np.diff(states)) + 1
    starts = np.concatenate(([0], change))
    ends = np.concatenate((change, [states.size]))
    lines = ["ffconcat version 1.0"]
    last = ""
    for start, end in zip(starts, ends, strict=True):
        state = int(states[start])
        path = sprite(state // 2, bool(state % 2))
        last = path.name
        lines += [f"file '{last}'", f"duration {(end - start) / fps:.6f}"]
    lines.append(f"file '{last}'")  # the demuxer drops the last entry's duration otherwise
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
