"""Kolors (可图) text-to-image through a SiliconFlow-style ``POST {base}/images/generations``.

Wire format: ``Authorization: Bearer <key>``; body ``{"model": "Kwai-Kolors/Kolors",
"prompt", "negative_prompt", "image_size": "WxH", "batch_size": 1, "num_inference_steps",
"guidance_scale", "seed"}``; answer ``{"images": [{"url": ...}], "timings": {"inference"},
"seed"}``. Failures: ``401`` (bad key), ``403`` with a balance message, ``429`` (rate
limit), ``400`` whose ``message`` says the prompt was refused, each mapped to a clear error.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from laotie.core.errors import InvalidInput, ProviderResponseError
from laotie.studio.providers.http import call, download
from laotie.studio.providers.image import MAX_IMAGE_BYTES, MAX_PROMPT_CHARS, save_png

KOLORS_BASE_URL = "https://api.siliconflow.cn/v1"
KOLORS_MODEL = "Kwai-Kolors/Kolors"
#: sizes Kolors draws (width x height); the nearest one to the frame's shape is asked for
KOLORS_SIZES = ("1024x1024", "960x1280", "768x1024", "720x1440", "720x1280", "1280x720")


def nearest_size(width: int, height: int) -> str:
    """The Kolors size whose aspect ratio is closest to ``width``/``height``."""
    wanted = width / height

    def distance(size: str) -> float:
        w, h = (int(v) for v in size.split("x"))
        return abs(w / h - wanted)

    return min(KOLORS_SIZES, key=distance)


class KolorsImages:
    """A Kolors (可图) image generator on a SiliconFlow-style endpoint."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str = KOLORS_BASE_URL,
        model: str = KOLORS_MODEL,
        steps: int = 25,
        guidance_scale: float = 5.0,
        timeout_s: float = 120.0,
        retries: int = 2,
        http: httpx.Client | None = None,
    ) -> None:
        if not api_key:
            raise InvalidInput("Kolors needs an API key", field="LAOTIE_KOLORS_API_KEY")
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.steps = steps
        self.guidance_scale = guidance_scale
        self.retries = retries
        self._http = http or httpx.Client(timeout=timeout_s, follow_redirects=True)

    def image(self, prompt: str, *, out: Path, size: str = "720x1280", seed: int = 0) -> Path:
        """Draw ``prompt`` at ``size`` and save it as the PNG ``out`` (no label yet)."""
        if not prompt.strip():
            raise InvalidInput("an image prompt must not be empty", field="prompt")
        if len(prompt) > MAX_PROMPT_CHARS:
            raise InvalidInput("image prompt too long", field="prompt", limit=MAX_PROMPT_CHARS)
        body: dict[str, object] = {
            "model": self.model,
            "prompt": prompt,
            "negative_prompt": "文字, 水印, 模糊",
            "image_size": size,
            "batch_size": 1,
            "num_inference_steps": self.steps,
            "guidance_scale": self.guidance_scale,
        }
        if seed:
            body["seed"] = seed
        response = call(
            self._http,
            "POST",
            f"{self.base_url}/images/generations",
            provider="kolors",
            key_setting="LAOTIE_KOLORS_API_KEY",
            retries=self.retries,
            json=body,
            headers={"Authorization": f"Bearer {self.api_key}"},
        )
        try:
            url = response.json()["images"][0]["url"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderResponseError(f"kolors answer lacks images[0].url: {exc}") from exc
        data = download(self._http, str(url), provider="kolors", max_bytes=MAX_IMAGE_BYTES)
        return save_png(data, out=out, provider="kolors")
