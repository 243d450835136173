"""Choose the speech engine from settings."""

from __future__ import annotations

from laotie.core.errors import InvalidInput
from laotie.core.settings import Settings
from laotie.studio.tts.azure import AzureSpeech
from laotie.studio.tts.base import TtsEngine
from laotie.studio.tts.espeak import PINYIN_VOICE, EspeakTts
from laotie.studio.tts.openai_speech import OpenAiSpeech
from laotie.studio.tts.volcengine import VolcengineSpeech

#: speech engines by name
TTS_ENGINES = ("espeak", "openai", "azure", "volcengine")


def engine_from_settings(
    settings: Settings, *, voice: str = "", speed: float = 1.0, engine: str = ""
) -> TtsEngine:
    """The configured engine (or ``engine`` by name); ``voice`` overrides the default voice,
    ``speed`` scales the rate (1.0 = normal)."""
    name = engine or settings.tts_engine
    if name == "azure":
        return AzureSpeech(
            api_key=settings.azure_speech_key,
            region=settings.azure_speech_region,
            base_url=settings.azure_speech_base_url,
            voice=voice,
            rate=speed,
        )
    if name == "volcengine":
        return VolcengineSpeech(
            appid=settings.volcengine_appid,
            token=settings.volcengine_token,
            cluster=settings.volcengine_cluster,
            base_url=settings.volcengine_base_url,
            voice=voice,
            rate=speed,
        )
    if name not in ("espeak", "openai"):
        raise InvalidInput(f"unknown speech engine {name!r}", field="tts", limit=TTS_ENGINES)
    if name == "openai":
        return OpenAiSpeech(
            base_url=settings.tts_base_url,
            api_key=settings.tts_api_key,
            model=settings.tts_model,
            voice=voice or settings.tts_voice,
            speed=speed,
        )
    return EspeakTts(speed=round(165 * speed), voice=voice or PINYIN_VOICE)


#: OpenAI voice names used for the ad voices, in order
OPENAI_AD_VOICES = ("onyx", "nova", "alloy", "shimmer")


def engine_for_voice(settings: Settings, *, index: int, speed: float, pitch: int) -> TtsEngine:
    """An engine for ad voice number ``index``: espeak with its pitch, or an OpenAI voice."""
    if settings.tts_engine == "openai":
        return engine_from_settings(
            settings, voice=OPENAI_AD_VOICES[index % len(OPENAI_AD_VOICES)], speed=speed
        )
    return EspeakTts(speed=round(165 * speed), pitch=pitch)
