"""Cover images from any OpenAI-compatible ``POST {base_url}/images/generations`` endpoint.

Every image saved is labelled: the visible "AI生成" badge drawn in its corner and the
``AIGC`` label embedded (PNG iTXt chunk).
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import httpx
from PIL import Image, UnidentifiedImageError

from laotie.core.aigc import AigcLabel, new_label
from laotie.core.errors import InvalidInput, ProviderResponseError
from laotie.core.ids import new_id
from laotie.media import label_picture
from laotie.studio.providers.http import call, download

#: longest prompt accepted (characters)
MAX_PROMPT_CHARS = 4000
#: largest generated image downloaded (bytes)
MAX_IMAGE_BYTES = 40 * 1024 * 1024


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
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = call(
            self._http,
            "POST",
            f"{self.base_url}/images/generations",
            provider="image provider",
            key_setting="LAOTIE_IMAGE_API_KEY",
            retries=self.retries,
            json=body,
            headers=headers,
        )
        try:
            answer = response.json()
        except ValueError as exc:
            raise ProviderResponseError("image provider answer is not JSON") from exc
        if not isinstance(answer, dict):
            raise ProviderResponseError("image provider answer is not a JSON object")
        return answer

    def _image_bytes(self, answer: dict[str, object]) -> bytes:
        items = answer.get("data")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            raise ProviderResponseError("image answer lacks data[0]")
        first = items[0]
        if first.get("b64_json"):
            return base64.b64decode(str(first["b64_json"]))
        if first.get("url"):
            return download(
                self._http, str(first["url"]), provider="image provider", max_bytes=MAX_IMAGE_BYTES
            )
        raise ProviderResponseError("image answer has neither b64_json nor url")

    def image(self, prompt: str, *, out: Path, size: str = "1024x1536") -> Path:
        """Generate one image for ``prompt`` and save it as the PNG ``out`` (no label yet)."""
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
        return save_png(self._image_bytes(answer), out=out, provider="image provider")

    def cover(
        self,
        prompt: str,
        *,
        out: Path,
        size: str = "1024x1536",
        label: AigcLabel | None = None,
    ) -> Path:
        """Generate one image for ``prompt``, badge and label it, and save it as PNG ``out``."""
        source = Path(out).with_name(f".{new_id('raw_')}.png")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.image(prompt, out=source, size=size)
            return label_picture(source, out=Path(out), label=label or new_label())
        finally:
            source.unlink(missing_ok=True)


def save_png(data: bytes, *, out: Path, provider: str) -> Path:
    """Decode an image a provider sent and save it as the PNG ``out``."""
    try:
        image = Image.open(io.BytesIO(data)).convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ProviderResponseError(f"{provider} sent no decodable image: {exc}") from exc
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    image.save(out, format="PNG")
    return Path(out)
