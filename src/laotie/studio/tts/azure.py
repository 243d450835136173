"""Azure speech through its REST API: SSML in, 24 kHz 16-bit mono WAV out.

Wire format: ``POST https://<region>.tts.speech.microsoft.com/cognitiveservices/v1`` with
``Ocp-Apim-Subscription-Key``, ``Content-Type: application/ssml+xml``,
``X-Microsoft-OutputFormat: riff-24khz-16bit-mono-pcm`` and a ``User-Agent``; the body is
``<speak version="1.0" xml:lang="zh-CN"><voice name="..."><prosody rate="+10%">text
</prosody></voice></speak>``; the answer is the audio itself. ``401`` is a bad key, ``429``
too many requests, ``400`` bad SSML. The REST API returns no word timings (the SDK's word
boundary events are not part of it), so cues from Azure are timed per sentence.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import httpx

from laotie.core.errors import InvalidInput, ProviderResponseError
from laotie.studio.providers.http import call
from laotie.studio.tts.base import NARRATION_RATE, SpeechClip, normalize_wav, wav_duration_s

DEFAULT_VOICE = "zh-CN-XiaoxiaoNeural"
OUTPUT_FORMAT = "riff-24khz-16bit-mono-pcm"
#: longest text sent in one request (characters); Azure allows 10 minutes of audio
MAX_INPUT_CHARS = 3000


def azure_base_url(region: str) -> str:
    """The regional speech endpoint, e.g. ``https://eastasia.tts.speech.microsoft.com``."""
    return f"https://{region}.tts.speech.microsoft.com"


def ssml(text: str, *, voice: str, rate: float, language: str = "zh-CN") -> str:
    """SSML that speaks ``text`` with ``voice`` at ``rate`` (1.0 = normal)."""
    percent = round((rate - 1.0) * 100)
    return (
        f'<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" '
        f"xml:lang={quoteattr(language)}><voice name={quoteattr(voice)}>"
        f'<prosody rate="{percent:+d}%">{escape(text)}</prosody></voice></speak>'
    )


class AzureSpeech:
    """Azure neural voices over REST; ``rate`` 0.5-2.0 scales the speaking speed."""

    name = "azure"

    def __init__(
        self,
        *,
        api_key: str,
        region: str = "",
        base_url: str = "",
        voice: str = DEFAULT_VOICE,
        rate: float = 1.0,
        timeout_s: float = 60.0,
        retries: int = 2,
        http: httpx.Client | None = None,
    ) -> None:
        if not api_key:
            raise InvalidInput("Azure speech needs a key", field="LAOTIE_AZURE_SPEECH_KEY")
        if not (base_url or region):
            raise InvalidInput("Azure speech needs a region", field="LAOTIE_AZURE_SPEECH_REGION")
        if not 0.5 <= rate <= 2.0:
            raise InvalidInput("speech rate must be within 0.5-2.0", field="rate", limit=(0.5, 2))
        self.api_key = api_key
        self.base_url = (base_url or azure_base_url(region)).rstrip("/")
        self.voice = voice or DEFAULT_VOICE
        self.rate = rate
        self.retries = retries
        self._http = http or httpx.Client(timeout=timeout_s)

    def synthesize(self, text: str, *, out: Path) -> SpeechClip:
        """Speak ``text`` into the WAV ``out``."""
        if not text.strip():
            raise InvalidInput("nothing to speak", field="text")
        if len(text) > MAX_INPUT_CHARS:
            raise InvalidInput("sentence too long for speech", field="text", limit=MAX_INPUT_CHARS)
        response = call(
            self._http,
            "POST",
            f"{self.base_url}/cognitiveservices/v1",
            provider="azure speech",
            key_setting="LAOTIE_AZURE_SPEECH_KEY",
            retries=self.retries,
            headers={
                "Ocp-Apim-Subscription-Key": self.api_key,
                "Content-Type": "application/ssml+xml",
                "X-Microsoft-OutputFormat": OUTPUT_FORMAT,
                "User-Agent": "laotie",
            },
            content=ssml(text, voice=self.voice, rate=self.rate).encode("utf-8"),
        )
        if not response.content:
            raise ProviderResponseError("azure speech sent no audio")
        raw = out.with_suffix(".download")
        raw.write_bytes(response.content)
        try:
            normalize_wav(raw, out=out, sample_rate=NARRATION_RATE)
        finally:
            raw.unlink(missing_ok=True)
        return SpeechClip(text, out, wav_duration_s(out), NARRATION_RATE)
