"""Offline Mandarin speech: espeak-ng's ``cmn-latn-pinyin`` voice fed numbered-tone pinyin.

The plain ``cmn`` voice mispronounces most characters; pypinyin's readings (with tone
numbers, numbers written out in Chinese first) are far closer to what a listener expects.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from laotie.core.errors import InvalidInput, MediaError
from laotie.studio.tts.base import SpeechClip, wav_duration_s
from laotie.studio.tts.text import to_pinyin

#: the espeak-ng voice that reads pinyin syllables with tone numbers
PINYIN_VOICE = "cmn-latn-pinyin"


class EspeakTts:
    """espeak-ng speaking pinyin; ``speed`` in words per minute, ``pitch`` 0-99."""

    name = "espeak"

    def __init__(
        self, *, voice: str = PINYIN_VOICE, speed: int = 165, pitch: int = 50, binary: str = ""
    ) -> None:
        self.voice = voice
        self.speed = speed
        self.pitch = pitch
        self.binary = binary or shutil.which("espeak-ng") or "espeak-ng"

    def synthesize(self, text: str, *, out: Path) -> SpeechClip:
        """Speak ``text`` into the WAV ``out``."""
        pinyin = to_pinyin(text)
        if not pinyin.strip(" ,.!?;:"):
            raise InvalidInput(f"nothing speakable in {text!r}", field="text")
        cmd = [self.binary, "-v", self.voice, "-s", str(self.speed), "-p", str(self.pitch)]
        try:
            done = subprocess.run(
                [*cmd, "-w", str(out), pinyin], capture_output=True, timeout=120, check=False
            )
        except OSError as exc:
            raise MediaError(f"espeak-ng is not available: {exc}", input="espeak-ng") from exc
        if done.returncode != 0 or not out.is_file():
            message = done.stderr.decode("utf-8", "replace").strip()
            raise MediaError(f"espeak-ng failed on {text!r}: {message}", input=text)
        return SpeechClip(text, out, wav_duration_s(out), _rate(out))


def _rate(path: Path) -> int:
    import wave

    with wave.open(str(path), "rb") as handle:
        return handle.getframerate()
