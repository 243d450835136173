"""The speech interface: engines turn one sentence into a WAV clip of exactly known length."""

from __future__ import annotations

import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from laotie.core.errors import InvalidInput, MediaError
from laotie.media import run_ffmpeg

#: sample rate of every narration track laotie builds (Hz)
NARRATION_RATE = 24_000


@dataclass(frozen=True)
class WordTiming:
    """A word the provider timed: spoken from ``start_s`` to ``end_s`` (seconds)."""

    text: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class SpeechClip:
    """One synthesised sentence: a mono 16-bit WAV, its exact duration in seconds, and the
    word timings when the provider returns them (relative to the clip's start)."""

    text: str
    path: Path
    duration_s: float
    sample_rate: int
    words: tuple[WordTiming, ...] = ()


@dataclass(frozen=True)
class Cue:
    """A subtitle cue: the sentence shown from ``start_s`` to ``end_s`` (seconds), with its
    words' timings on the narration's clock when the speech provider gave them."""

    index: int
    start_s: float
    end_s: float
    text: str
    words: tuple[WordTiming, ...] = ()


@dataclass(frozen=True)
class Narration:
    """The whole voice track (one WAV) and where each sentence sits in it."""

    path: Path
    duration_s: float
    sample_rate: int
    cues: tuple[Cue, ...]


@runtime_checkable
class TtsEngine(Protocol):
    """Anything that speaks one sentence into a WAV file."""

    name: str

    def synthesize(self, text: str, *, out: Path) -> SpeechClip:
        """Speak ``text`` into ``out`` (a mono 16-bit WAV) and return the clip."""
        ...


def wav_duration_s(path: Path) -> float:
    """Exact duration of a PCM WAV file from its sample count."""
    try:
        with wave.open(str(path), "rb") as handle:
            return handle.getnframes() / float(handle.getframerate())
    except (wave.Error, EOFError, OSError) as exc:
        raise MediaError(f"not a PCM WAV file: {path} ({exc})", input=str(path)) from exc


def normalize_wav(source: Path, *, out: Path, sample_rate: int = NARRATION_RATE) -> Path:
    """Convert any audio file to mono 16-bit PCM WAV at ``sample_rate``."""
    run_ffmpeg(
        ["-i", str(source), "-ac", "1", "-ar", str(sample_rate), "-c:a", "pcm_s16le", str(out)],
        stage="normalise speech",
        input_name=str(source),
    )
    return out


def _pcm_frames(path: Path, *, sample_rate: int, scratch: Path) -> bytes:
    with wave.open(str(path), "rb") as handle:
        matches = (
            handle.getframerate() == sample_rate
            and handle.getnchannels() == 1
            and handle.getsampwidth() == 2
        )
        if matches:
            return handle.readframes(handle.getnframes())
    converted = normalize_wav(path, out=scratch, sample_rate=sample_rate)
    with wave.open(str(converted), "rb") as handle:
        return handle.readframes(handle.getnframes())


def synthesize_narration(
    engine: TtsEngine,
    sentences: Sequence[str],
    *,
    workdir: Path,
    gap_s: float = 0.25,
    lead_s: float = 0.15,
    sample_rate: int = NARRATION_RATE,
) -> Narration:
    """Speak each sentence, join them with ``gap_s`` of silence, and time a cue per sentence."""
    texts = [s.strip() for s in sentences if s and s.strip()]
    if not texts:
        raise InvalidInput("the script has no sentence to speak", field="script", limit=">= 1")
    workdir.mkdir(parents=True, exist_ok=True)
    silence_gap = b"\x00\x00" * round(gap_s * sample_rate)
    pcm = bytearray(b"\x00\x00" * round(lead_s * sample_rate))
    cues: list[Cue] = []
    for index, text in enumerate(texts, start=1):
        clip = engine.synthesize(text, out=workdir / f"sentence_{index:03d}.wav")
        frames = _pcm_frames(
            clip.path, sample_rate=sample_rate, scratch=workdir / f"sentence_{index:03d}_n.wav"
        )
        start = len(pcm) // 2
        pcm.extend(frames)
        end = len(pcm) // 2
        offset = start / sample_rate
        words = tuple(WordTiming(w.text, offset + w.start_s, offset + w.end_s) for w in clip.words)
        cues.append(Cue(index, offset, end / sample_rate, text, words))
        pcm.extend(silence_gap)
    path = workdir / "narration.wav"
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(bytes(pcm))
    return Narration(path, len(pcm) / 2 / sample_rate, sample_rate, tuple(cues))
