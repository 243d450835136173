"""Choose the speech engine from settings."""

from __future__ import annotations

from laotie.core.settings import Settings
from laotie.studio.tts.base import TtsEngine
from laotie.studio.tts.espeak import EspeakTts
from laotie.studio.tts.openai_speech import OpenAiSpeech


def engine_from_settings(settings: Settings, *, voice: str = "", speed: float = 1.0) -> TtsEngine:
    """The configured engine; ``voice`` overrides the default voice, ``speed`` scales the rate."""
    if settings.tts_engine == "openai":
        return OpenAiSpeech(
            base_url=settings.tts_base_url,
            api_key=settings.tts_api_key,
            model=settings.tts_model,
            voice=voice or settings.tts_voice,
            speed=speed,
        )
    return EspeakTts(speed=round(165 * speed))


#: OpenAI voice names used for the ad voices, in order
OPENAI_AD_VOICES = ("onyx", "nova", "alloy", "shimmer")


def engine_for_voice(settings: Settings, *, index: int, speed: float, pitch: int) -> TtsEngine:
    """An engine for ad voice number ``index``: espeak with its pitch, or an OpenAI voice."""
    if settings.tts_engine == "openai":
        return engine_from_settings(
            settings, voice=OPENAI_AD_VOICES[index % len(OPENAI_AD_VOICES)], speed=speed
        )
    return EspeakTts(speed=round(165 * speed), pitch=pitch)
