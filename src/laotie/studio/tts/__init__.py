"""Text to speech: the engine interface, the offline espeak-ng engine, an OpenAI-compatible one."""

from laotie.studio.tts.base import (
    NARRATION_RATE,
    Cue,
    Narration,
    SpeechClip,
    TtsEngine,
    synthesize_narration,
    wav_duration_s,
)
from laotie.studio.tts.espeak import EspeakTts
from laotie.studio.tts.openai_speech import OpenAiSpeech
from laotie.studio.tts.text import split_sentences, spoken_text, to_pinyin

__all__ = [
    "NARRATION_RATE",
    "Cue",
    "EspeakTts",
    "Narration",
    "OpenAiSpeech",
    "SpeechClip",
    "TtsEngine",
    "split_sentences",
    "spoken_text",
    "synthesize_narration",
    "to_pinyin",
    "wav_duration_s",
]
