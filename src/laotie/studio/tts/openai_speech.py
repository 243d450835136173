"""Speech from any OpenAI-compatible ``POST {base_url}/audio/speech`` endpoint."""

from __future__ import annotations

from pathlib import Path

import httpx

from laotie.core.errors import InvalidInput, ProviderResponseError
from laotie.studio.providers.http import call
from laotie.studio.tts.base import NARRATION_RATE, SpeechClip, normalize_wav, wav_duration_s

#: input length the OpenAI speech endpoint accepts (characters)
MAX_INPUT_CHARS = 4096


class OpenAiSpeech:
    """An OpenAI-compatible speech provider; returns WAV (converted if the server sends else)."""

    name = "openai"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        model: str = "tts-1",
        voice: str = "alloy",
        speed: float = 1.0,
        timeout_s: float = 60.0,
        retries: int = 3,
        client: httpx.Client | None = None,
    ) -> None:
        if not base_url:
            raise InvalidInput("speech provider needs a base URL", field="tts_base_url")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.voice = voice
        self.speed = speed
        self.retries = retries
        self._client = client or httpx.Client(timeout=timeout_s)

    def synthesize(self, text: str, *, out: Path) -> SpeechClip:
        """Ask the endpoint to speak ``text``; the answer is written to the WAV ``out``."""
        if not text.strip():
            raise InvalidInput("nothing to speak", field="text")
        if len(text) > MAX_INPUT_CHARS:
            raise InvalidInput("sentence too long for speech", field="text", limit=MAX_INPUT_CHARS)
        body = {
            "model": self.model,
            "input": text,
            "voice": self.voice,
            "response_format": "wav",
            "speed": self.speed,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        audio = self._post(body, headers)
        raw = out.with_suffix(".download")
        raw.write_bytes(audio)
        try:
            # servers stream WAV with placeholder sizes, or ignore the format: re-mux to PCM
            normalize_wav(raw, out=out, sample_rate=NARRATION_RATE)
        finally:
            raw.unlink(missing_ok=True)
        return SpeechClip(text, out, wav_duration_s(out), NARRATION_RATE)

    def _post(self, body: dict[str, object], headers: dict[str, str]) -> bytes:
        # the one provider call: 429/5xx retries and the error mapping every provider shares
        response = call(
            self._client,
            "POST",
            f"{self.base_url}/audio/speech",
            provider="speech provider",
            key_setting="LAOTIE_TTS_API_KEY",
            retries=self.retries,
            backoff_s=0.2,
            headers=headers,
            json=body,
        )
        if not response.content:
            raise ProviderResponseError("speech provider sent an empty body")
        return response.content
