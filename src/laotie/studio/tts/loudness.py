"""Loudness: EBU R128 measurement and two-pass ``loudnorm`` to a target (default -16 LUFS).

Short-video platforms play at about -16 LUFS (integrated); a voice track normalised there
before the render keeps every video equally loud whatever engine spoke it. Pass one measures
the track (``loudnorm`` with ``print_format=json``); pass two applies the measured values in
``linear`` mode, which scales the whole track by one gain when the range allows it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from laotie.core.errors import MediaError
from laotie.media import run_ffmpeg
from laotie.studio.tts.base import NARRATION_RATE

#: integrated loudness target (LUFS), true-peak ceiling (dBTP) and loudness range (LU)
TARGET_LUFS = -16.0
TRUE_PEAK_DB = -1.5
LOUDNESS_RANGE_LU = 11.0


@dataclass(frozen=True)
class Loudness:
    """What ``loudnorm`` measured: integrated loudness (LUFS), true peak (dBTP), range (LU)."""

    integrated_lufs: float
    true_peak_db: float
    range_lu: float
    threshold_lufs: float
    offset_lu: float


def _json_block(stderr: str, source: Path) -> dict[str, str]:
    match = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    if not match:
        raise MediaError(f"loudnorm printed no measurement for {source}", input=str(source))
    return dict(json.loads(match.group(0)))


def measure_loudness(path: Path, *, target_lufs: float = TARGET_LUFS) -> Loudness:
    """Measure the integrated loudness of the audio in ``path`` (EBU R128)."""
    stderr = run_ffmpeg(
        [
            "-i",
            str(path),
            "-af",
            f"loudnorm=I={target_lufs}:TP={TRUE_PEAK_DB}:LRA={LOUDNESS_RANGE_LU}:print_format=json",
            "-f",
            "null",
            "-",
        ],
        stage="loudness measurement",
        input_name=str(path),
    )
    data = _json_block(stderr, path)

    def value(key: str) -> float:
        text = data.get(key, "")
        # silence measures as -inf; report it as the quietest value loudnorm knows
        return -99.0 if "inf" in text else float(text)

    return Loudness(
        value("input_i"),
        value("input_tp"),
        value("input_lra"),
        value("input_thresh"),
        value("target_offset"),
    )


def normalise_loudness(
    source: Path, *, out: Path, target_lufs: float = TARGET_LUFS, sample_rate: int = NARRATION_RATE
) -> Path:
    """Write ``source`` normalised to ``target_lufs`` as a mono 16-bit WAV ``out`` (two passes)."""
    measured = measure_loudness(source, target_lufs=target_lufs)
    if measured.integrated_lufs <= -70.0:
        raise MediaError(f"the voice track is silent: {source}", input=str(source))
    run_ffmpeg(
        [
            "-i",
            str(source),
            "-af",
            f"loudnorm=I={target_lufs}:TP={TRUE_PEAK_DB}:LRA={LOUDNESS_RANGE_LU}"
            f":measured_I={measured.integrated_lufs}:measured_TP={measured.true_peak_db}"
            f":measured_LRA={measured.range_lu}:measured_thresh={measured.threshold_lufs}"
            f":offset={measured.offset_lu}:linear=true,aresample={sample_rate}",
            "-ac",
            "1",
            "-c:a",
            "pcm_s16le",
            str(out),
        ],
        stage="loudness normalisation",
        input_name=str(source),
    )
    return out
