"""Kling video generation: text2video, image2video and the avatar (digital human) endpoint.

Wire format (Kling open platform, ``/v1/videos/...``): requests carry ``Authorization:
Bearer <JWT>`` where the JWT is HS256-signed with the secret key over ``{"iss": access_key,
"exp": now + 1800, "nbf": now - 5}``; every answer is ``{"code": 0, "message": ...,
"request_id": ..., "data": {...}}``; a created task is polled at ``GET /v1/videos/<kind>/<id>``
until ``task_status`` is ``succeed`` (``data.task_result.videos[].url``) or ``failed``. Code
1303 ("parallel task over resource pack limit") and 1302 (rate limit) are retried with
exponential backoff; they become ``ProviderRateLimited`` when the retries run out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from laotie.core.aigc import AigcLabel
from laotie.core.errors import (
    InvalidInput,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
)
from laotie.core.settings import Settings
from laotie.media import atomic_output, mp4_label_args, run_ffmpeg

#: task kinds and their paths under ``/v1/videos/``
KINDS = {"text2video": "text2video", "image2video": "image2video", "avatar": "avatar/image2video"}
#: codes Kling answers when too many tasks run at once (1303) or requests come too fast (1302)
RETRYABLE_CODES = (1302, 1303)
#: lifetime of a signed token (seconds) and the not-before skew allowance
TOKEN_TTL_S = 1800
TOKEN_SKEW_S = 5
#: largest files Kling accepts inline (bytes): images 10 MB, avatar audio 5 MB
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_SOUND_BYTES = 5 * 1024 * 1024
TASK_STATUSES = ("submitted", "processing", "succeed", "failed")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def kling_token(access_key: str, secret_key: str, *, now_s: float | None = None) -> str:
    """An HS256 JWT for Kling: ``iss`` = access key, valid from now - 5 s for 30 minutes."""
    if not access_key or not secret_key:
        raise InvalidInput(
            "Kling needs an access key and a secret key", field="LAOTIE_KLING_ACCESS_KEY"
        )
    now = int(time.time() if now_s is None else now_s)
    header = {"alg": "HS256", "typ": "JWT"}
    payload = {"iss": access_key, "exp": now + TOKEN_TTL_S, "nbf": now - TOKEN_SKEW_S}
    signing_input = (
        f"{_b64url(json.dumps(header, separators=(',', ':')).encode())}."
        f"{_b64url(json.dumps(payload, separators=(',', ':')).encode())}"
    )
    signature = hmac.new(secret_key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


@dataclass(frozen=True)
class KlingVideo:
    """One generated video of a task; ``duration_s`` as Kling reports it."""

    id: str
    url: str
    duration_s: float


@dataclass(frozen=True)
class KlingTask:
    """A task's state: ``status`` is one of submitted, processing, succeed, failed."""

    kind: str
    task_id: str
    status: str
    message: str
    videos: tuple[KlingVideo, ...] = ()


def _file_b64(path: Path, *, field: str, limit: int) -> str:
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{field} not found: {path}", field=field, input=str(path))
    data = path.read_bytes()
    if len(data) > limit:
        raise InvalidInput(f"{field} larger than Kling accepts: {path}", field=field, limit=limit)
    return base64.b64encode(data).decode("ascii")


class KlingClient:
    """A Kling API client; ``sleep`` and ``clock`` are injectable so tests need not wait."""

    def __init__(
        self,
        *,
        access_key: str,
        secret_key: str,
        base_url: str = "https://api-beijing.klingai.com",
        model: str = "kling-v1",
        poll_interval_s: float = 5.0,
        max_poll_interval_s: float = 30.0,
        wait_timeout_s: float = 1800.0,
        submit_retries: int = 5,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        kling_token(access_key, secret_key)  # refuse missing keys up front
        self.access_key = access_key
        self.secret_key = secret_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.poll_interval_s = poll_interval_s
        self.max_poll_interval_s = max_poll_interval_s
        self.wait_timeout_s = wait_timeout_s
        self.submit_retries = submit_retries
        self._http = http or httpx.Client(timeout=60.0)
        self._sleep = sleep
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> KlingClient:
        """A client with the keys and base URL of ``LAOTIE_KLING_*``."""
        return cls(
            access_key=settings.kling_access_key,
            secret_key=settings.kling_secret_key,
            base_url=settings.kling_base_url,
        )

    def _headers(self) -> dict[str, str]:
        token = kling_token(self.access_key, self.secret_key)
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        delay = 1.0
        for attempt in range(self.submit_retries + 1):
            try:
                response = self._http.request(method, url, json=body, headers=self._headers())
            except httpx.TimeoutException as exc:
                raise ProviderTimeout(f"Kling timed out: {method} {path}") from exc
            except httpx.HTTPError as exc:
                raise ProviderError(f"Kling unreachable: {method} {url}: {exc}") from exc
            try:
                answer = response.json()
            except ValueError as exc:
                raise ProviderResponseError(
                    f"Kling answered {response.status_code} without JSON at {path}"
                ) from exc
            code = answer.get("code") if isinstance(answer, dict) else None
            if code == 0 and response.status_code == 200:
                data = answer.get("data")
                if not isinstance(data, dict):
                    raise ProviderResponseError(f"Kling answer lacks its data object at {path}")
                return data
            message = answer.get("message", "") if isinstance(answer, dict) else ""
            retryable = code in RETRYABLE_CODES or response.status_code >= 500
            if retryable and attempt < self.submit_retries:
                self._sleep(delay)
                delay = min(delay * 2, 60.0)
                continue
            if code in RETRYABLE_CODES or response.status_code == 429:
                raise ProviderRateLimited(
                    f"Kling refused after {attempt + 1} tries: {code} {message}", code=code
                )
            raise ProviderError(
                f"Kling error {code} (HTTP {response.status_code}) at {path}: {message}",
                code=code,
            )
        raise ProviderError("Kling gave no answer")  # pragma: no cover

    def _submit(self, kind: str, body: dict[str, Any]) -> str:
        data = self._call("POST", f"/v1/videos/{KINDS[kind]}", body)
        task_id = data.get("task_id")
        if not task_id:
            raise ProviderResponseError(f"Kling {kind} answer has no task_id")
        return str(task_id)

    def text2video(
        self,
        prompt: str,
        *,
        aspect_ratio: str = "9:16",
        duration_s: int = 5,
        mode: str = "std",
        negative_prompt: str = "",
    ) -> str:
        """Start a text-to-video task; returns its task id."""
        if not prompt.strip():
            raise InvalidInput("a text2video prompt must not be empty", field="prompt")
        if len(prompt) > 2500:
            raise InvalidInput("prompt too long for Kling", field="prompt", limit=2500)
        body = {
            "model_name": self.model,
            "prompt": prompt,
            "negative_prompt": negative_prompt,
            "mode": mode,
            "aspect_ratio": aspect_ratio,
            "duration": str(duration_s),
        }
        return self._submit("text2video", body)

    def image2video(
        self, image: Path, *, prompt: str = "", duration_s: int = 5, mode: str = "std"
    ) -> str:
        """Start an image-to-video task from a local image; returns its task id."""
        body = {
            "model_name": self.model,
            "image": _file_b64(image, field="image", limit=MAX_IMAGE_BYTES),
            "prompt": prompt,
            "mode": mode,
            "duration": str(duration_s),
        }
        return self._submit("image2video", body)

    def avatar(self, image: Path, sound: Path, *, prompt: str = "", mode: str = "std") -> str:
        """Start a digital-human task: a portrait that speaks ``sound``; returns its task id."""
        body = {
            "image": _file_b64(image, field="avatar", limit=MAX_IMAGE_BYTES),
            "sound_file": _file_b64(sound, field="sound", limit=MAX_SOUND_BYTES),
            "prompt": prompt,
            "mode": mode,
        }
        return self._submit("avatar", body)

    def task(self, kind: str, task_id: str) -> KlingTask:
        """The current state of a task."""
        data = self._call("GET", f"/v1/videos/{KINDS[kind]}/{task_id}")
        status = data.get("task_status")
        if status not in TASK_STATUSES:
            raise ProviderResponseError(f"Kling task {task_id} has unknown status {status!r}")
        videos = tuple(
            KlingVideo(str(v.get("id", "")), str(v["url"]), float(v.get("duration", 0) or 0))
            for v in (data.get("task_result") or {}).get("videos", [])
            if isinstance(v, dict) and v.get("url")
        )
        return KlingTask(kind, task_id, status, str(data.get("task_status_msg", "")), videos)

    def wait(self, kind: str, task_id: str) -> KlingTask:
        """Poll a task with growing intervals until it succeeds; errors when it fails or stalls."""
        started = self._clock()
        interval = self.poll_interval_s
        while True:
            state = self.task(kind, task_id)
            if state.status == "succeed":
                if not state.videos:
                    raise ProviderResponseError(f"Kling task {task_id} succeeded without videos")
                return state
            if state.status == "failed":
                raise ProviderError(f"Kling task {task_id} failed: {state.message}")
            if self._clock() - started + interval > self.wait_timeout_s:
                raise ProviderTimeout(
                    f"Kling task {task_id} still {state.status} after {self.wait_timeout_s:.0f} s"
                )
            self._sleep(interval)
            interval = min(interval * 1.5, self.max_poll_interval_s)

    def download(self, url: str, *, out: Path, label: AigcLabel | None = None) -> Path:
        """Fetch a result video to ``out``; with ``label``, remux it to carry the AIGC tag."""
        out = Path(out).resolve()
        with atomic_output(out) as temp:
            raw = temp.with_suffix(".download.mp4")
            try:
                with self._http.stream("GET", url) as response:
                    if response.status_code != 200:
                        raise ProviderError(f"Kling video download answered {response.status_code}")
                    with raw.open("wb") as handle:
                        for chunk in response.iter_bytes():
                            handle.write(chunk)
                if label is None:
                    raw.replace(temp)
                else:
                    run_ffmpeg(
                        [
                            "-i",
                            str(raw),
                            "-map",
                            "0",
                            "-c",
                            "copy",
                            *mp4_label_args(label),
                            str(temp),
                        ],
                        stage="label downloaded video",
                        input_name=url,
                    )
            except httpx.HTTPError as exc:
                raise ProviderError(f"Kling video download failed: {exc}") from exc
            finally:
                raw.unlink(missing_ok=True)
        return out

    def generate(
        self, kind: str, *, out: Path, label: AigcLabel | None = None, **params: Any
    ) -> Path:
        """Submit a ``kind`` task with ``params``, wait for it and download its first video."""
        if kind not in KINDS:
            raise InvalidInput(f"unknown Kling task kind {kind!r}", field="kind", limit=list(KINDS))
        submits: dict[str, Callable[..., str]] = {
            "text2video": self.text2video,
            "image2video": self.image2video,
            "avatar": self.avatar,
        }
        task_id = submits[kind](**params)
        state = self.wait(kind, task_id)
        return self.download(state.videos[0].url, out=out, label=label)
