"""Volcengine (ByteDance 火山引擎) speech over its HTTP API, with word timings.

Wire format: ``POST {base}/api/v1/tts`` with ``Authorization: Bearer;<token>`` (a
semicolon, as documented) and the body ``{"app": {"appid", "token", "cluster"}, "user":
{"uid"}, "audio": {"voice_type", "encoding": "wav", "rate": 24000, "speed_ratio"},
"request": {"reqid", "text", "text_type": "plain", "operation": "query", "with_frontend":
1, "frontend_type": "unitTson"}}``. The answer is ``{"reqid", "code": 3000, "message":
"Success", "data": <base64 audio>, "addition": {"duration": "<ms>", "frontend": "<JSON
text: {\\"words\\": [{\\"word\\", \\"start_time\\", \\"end_time\\"}]}>"}}``; other codes are
failures: 3001 invalid request (or a grant that does not match), 3003 concurrency or quota
exceeded, 3005 server busy, 3010 text too long, 3011 invalid or refused text, 3050 no such
voice.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from laotie.core.errors import (
    InvalidInput,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
)
from laotie.studio.providers.http import call
from laotie.studio.providers.retry import Transient, call_with_retries
from laotie.studio.tts.base import (
    NARRATION_RATE,
    SpeechClip,
    WordTiming,
    normalize_wav,
    wav_duration_s,
)

VOLCENGINE_BASE_URL = "https://openspeech.bytedance.com"
DEFAULT_VOICE = "BV001_streaming"
SUCCESS = 3000
#: the request text limit (bytes of UTF-8)
MAX_TEXT_BYTES = 1024
_BUSY = (3003, 3005)
_REFUSED = (3011,)


def _words(addition: dict[str, Any]) -> tuple[WordTiming, ...]:
    frontend = addition.get("frontend")
    if not frontend:
        return ()
    try:
        data = json.loads(frontend) if isinstance(frontend, str) else frontend
        return tuple(
            WordTiming(str(w["word"]), float(w["start_time"]), float(w["end_time"]))
            for w in data.get("words") or []
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ProviderResponseError(f"volcengine frontend timings unreadable: {exc}") from exc


class VolcengineSpeech:
    """ByteDance/Volcengine voices; ``rate`` 0.2-3.0 is the ``speed_ratio``."""

    name = "volcengine"

    def __init__(
        self,
        *,
        appid: str,
        token: str,
        cluster: str = "volcano_tts",
        voice: str = DEFAULT_VOICE,
        rate: float = 1.0,
        base_url: str = VOLCENGINE_BASE_URL,
        timeout_s: float = 60.0,
        retries: int = 2,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not appid or not token:
            raise InvalidInput(
                "Volcengine speech needs an app id and an access token",
                field="LAOTIE_VOLCENGINE_TOKEN",
            )
        if not 0.2 <= rate <= 3.0:
            raise InvalidInput("speech rate must be within 0.2-3.0", field="rate", limit=(0.2, 3))
        self.appid, self.token, self.cluster = appid, token, cluster
        self.voice = voice or DEFAULT_VOICE
        self.rate = rate
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._http = http or httpx.Client(timeout=timeout_s)
        self._sleep = sleep

    def _body(self, text: str) -> dict[str, Any]:
        return {
            "app": {"appid": self.appid, "token": "access_token", "cluster": self.cluster},
            "user": {"uid": "laotie"},
            "audio": {
                "voice_type": self.voice,
                "encoding": "wav",
                "rate": NARRATION_RATE,
                "speed_ratio": self.rate,
            },
            "request": {
                "reqid": str(uuid.uuid4()),
                "text": text,
                "text_type": "plain",
                "operation": "query",
                "with_frontend": 1,
                "frontend_type": "unitTson",
            },
        }

    def _answer(self, text: str) -> dict[str, Any]:
        return call_with_retries(
            lambda: self._answer_once(text),
            retries=self.retries,
            backoff_s=0.5,
            sleep=self._sleep,
            what="volcengine speech",
            max_wait_s=8.0,
        )

    def _answer_once(self, text: str) -> dict[str, Any]:
        """One request; a busy answer (in a 200 body) is a Transient, waited out like a 429."""
        response = call(
            self._http,
            "POST",
            f"{self.base_url}/api/v1/tts",
            provider="volcengine speech",
            key_setting="LAOTIE_VOLCENGINE_TOKEN",
            retries=self.retries,
            sleep=self._sleep,
            json=self._body(text),
            headers={"Authorization": f"Bearer;{self.token}"},
        )
        try:
            answer = response.json()
            code = int(answer.get("code", -1))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ProviderResponseError("volcengine answer is not its JSON") from exc
        if code == SUCCESS:
            return dict(answer)
        message = str(answer.get("message", ""))
        if code in _BUSY and "quota" not in message.lower():
            raise Transient(_failure(code, message))
        raise _failure(code, message)

    def synthesize(self, text: str, *, out: Path) -> SpeechClip:
        """Speak ``text`` into the WAV ``out``; word timings come from the frontend answer."""
        if not text.strip():
            raise InvalidInput("nothing to speak", field="text")
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            raise InvalidInput("sentence too long for speech", field="text", limit=MAX_TEXT_BYTES)
        answer = self._answer(text)
        try:
            audio = base64.b64decode(str(answer["data"]), validate=True)
        except (KeyError, binascii.Error) as exc:
            raise ProviderResponseError("volcengine answer lacks base64 audio data") from exc
        raw = out.with_suffix(".download")
        raw.write_bytes(audio)
        try:
            normalize_wav(raw, out=out, sample_rate=NARRATION_RATE)
        finally:
            raw.unlink(missing_ok=True)
        words = _words(answer.get("addition") or {})
        return SpeechClip(text, out, wav_duration_s(out), NARRATION_RATE, words)


def _failure(code: int, message: str) -> ProviderError:
    """The laotie error for a Volcengine failure code."""
    lowered = message.lower()
    if code in _BUSY or "quota" in lowered:
        return ProviderRateLimited(
            f"volcengine speech quota or concurrency limit reached ({code}: {message})",
            provider="volcengine",
            reason="quota",
        )
    if "grant" in lowered or "auth" in lowered or "token" in lowered:
        return ProviderError(
            f"volcengine rejected the app id or token ({code}: {message}); "
            "check LAOTIE_VOLCENGINE_APPID and LAOTIE_VOLCENGINE_TOKEN",
            provider="volcengine",
            reason="bad-key",
        )
    if code in _REFUSED:
        return ProviderError(
            f"volcengine refused the text ({code}: {message}); change the script",
            provider="volcengine",
            reason="content-refused",
        )
    return ProviderResponseError(f"volcengine answered code {code}: {message}")
