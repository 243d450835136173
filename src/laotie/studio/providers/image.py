"""Cover images from any OpenAI-compatible ``POST {base_url}/images/generations`` endpoint.

Every image saved is labelled: the visible "AI生成" badge drawn in its corner and the
``AIGC`` label embedded (PNG iTXt chunk).
"""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path

import httpx
from PIL import Image, UnidentifiedImageError

from laotie.core.errors import (
    InvalidInput,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
)
from laotie.core.ids import new_id
from laotie.studio.aigc_label import AigcLabel, new_label
from laotie.studio.media_labels import label_picture

#: longest prompt accepted (characters)
MAX_PROMPT_CHARS = 4000


class OpenAiImages:
    """An OpenAI-compatible image generator for covers."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str = "",
        model: str = "gpt-image-1",
        timeout_s: float = 120.0,
        retries: int = 2,
        http: httpx.Client | None = None,
    ) -> None:
        if not base_url:
            raise InvalidInput("image provider needs a base URL", field="image_base_url")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.model = model
        self.retries = retries
        self._http = http or httpx.Client(timeout=timeout_s)

    def _request(self, body: dict[str, object]) -> dict[str, object]:
        url = f"{self.base_url}/images/generations"
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        for attempt in range(self.retries + 1):
            try:
                response = self._http.post(url, json=body, headers=headers)
            except httpx.TimeoutException as exc:
                raise ProviderTimeout(f"image provider timed out: {url}") from exc
            except httpx.HTTPError as exc:
                raise ProviderError(f"image provider unreachable: {url}: {exc}") from exc
            if response.status_code in (429, 500, 502, 503) and attempt < self.retries:
                time.sleep(min(0.5 * 2**attempt, 4.0))
                continue
            if response.status_code == 429:
                raise ProviderRateLimited(f"image provider rate-limited at {url}")
            if response.status_code != 200:
                raise ProviderResponseError(
                    f"image provider answered {response.status_code}: {response.text[:200]}"
                )
            try:
                return response.json()
            except ValueError as exc:
                raise ProviderResponseError("image provider answer is not JSON") from exc
        raise ProviderError("image provider gave no answer")  # pragma: no cover

    def _image_bytes(self, answer: dict[str, object]) -> bytes:
        items = answer.get("data")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise ProviderResponseError("image answer lacks data[0]")
        first = items[0]
        if first.get("b64_json"):
            return base64.b64decode(str(first["b64_json"]))
        if first.get("url"):
            response = self._http.get(str(first["url"]))
            if response.status_code != 200:
                raise ProviderResponseError(f"image download answered {response.status_code}")
            return response.content
        raise ProviderResponseError("image answer has neither b64_json nor url")

    def cover(
        self,
        prompt: str,
        *,
        out: Path,
        size: str = "1024x1536",
        label: AigcLabel | None = None,
    ) -> Path:
        """Generate one image for ``prompt``, badge and label it, and save it as PNG ``out``."""
        if not prompt.strip():
            raise InvalidInput("an image prompt must not be empty", field="prompt")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise InvalidInput("image prompt too long", field="prompt", limit=MAX_PROMPT_CHARS)
        answer = self._request(
            {
                "model": self.model,
                "prompt": prompt,
                "size": size,
                "n": 1,
                "response_format": "b64_json",
            }
        )
        try:
            image = Image.open(io.BytesIO(self._image_bytes(answer))).convert("RGB")
        except (UnidentifiedImageError, OSError) as exc:
            raise ProviderResponseError(f"image provider sent no decodable image: {exc}") from exc
        source = Path(out).with_name(f".{new_id('raw_')}.png")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        try:
            image.save(source, format="PNG")
            return label_picture(source, out=Path(out), label=label or new_label())
        finally:
            source.unlink(missing_ok=True)
