"""OpenAI images and Kolors (可图) against local servers speaking their wire formats."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from PIL import Image

from laotie.core.errors import ProviderError, ProviderRateLimited
from laotie.studio.providers.image import OpenAiImages
from laotie.studio.providers.kolors import KolorsImages, nearest_size

from ._provider_server import Seen, as_json, as_text, provider_server


def _png(colour: tuple[int, int, int], size: tuple[int, int] = (64, 96)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_openai_images_b64_answer_is_saved_unlabelled(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route(
            "POST",
            "/v1/images/generations",
            lambda _s: as_json(
                200,
                {
                    "created": 1,
                    "data": [{"b64_json": base64.b64encode(_png((200, 30, 30))).decode()}],
                },
            ),
        )
        images = OpenAiImages(base_url=f"{server.base_url}/v1", api_key="sk-test")
        out = images.image("红苹果特写", out=tmp_path / "a.png", size="1024x1536")
    with Image.open(out) as image:
        assert image.getpixel((0, 0)) == (200, 30, 30)  # no badge drawn: the video carries it
    sent = server.seen[0]
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.json() == {
        "model": "gpt-image-1",
        "prompt": "红苹果特写",
        "size": "1024x1536",
        "n": 1,
        "response_format": "b64_json",
    }


@pytest.mark.parametrize(
    ("status", "error", "raised", "words"),
    [
        (
            400,
            {
                "code": "content_policy_violation",
                "message": "Your request was rejected as a result of our safety system.",
            },
            ProviderError,
            "refused the content",
        ),
        (
            401,
            {"code": "invalid_api_key", "message": "Incorrect API key provided: sk-bad."},
            ProviderError,
            "rejected the API key.*LAOTIE_IMAGE_API_KEY",
        ),
        (
            429,
            {
                "code": "insufficient_quota",
                "message": "You exceeded your current quota, please check your plan.",
            },
            ProviderRateLimited,
            "quota",
        ),
    ],
)
def test_openai_images_errors_are_clear(
    tmp_path: Path, status: int, error: dict[str, str], raised: type[Exception], words: str
) -> None:
    with provider_server() as server:
        server.route(
            "POST",
            "/v1/images/generations",
            lambda _s: as_json(status, {"error": {**error, "type": "x"}}),
        )
        images = OpenAiImages(base_url=f"{server.base_url}/v1", api_key="sk-bad", retries=2)
        with pytest.raises(raised, match=words):
            images.image("一只猫", out=tmp_path / "x.png")
    # an exhausted quota is not retried: waiting does not refill it
    assert len(server.seen) == 1


def test_kolors_draws_downloads_and_sends_its_wire_format(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route(
            "POST",
            "/v1/images/generations",
            lambda _s: as_json(
                200,
                {
                    "images": [{"url": f"{server.base_url}/out/1.png"}],
                    "timings": {"inference": 1.2},
                    "seed": 42,
                },
            ),
        )
        server.route(
            "GET",
            "/out/1.png",
            lambda _s: (200, {"Content-Type": "image/png"}, _png((10, 120, 40))),
        )
        kolors = KolorsImages(api_key="sf-key", base_url=f"{server.base_url}/v1")
        out = kolors.image(
            "江南水乡，清晨薄雾", out=tmp_path / "k.png", size=nearest_size(1080, 1920)
        )
    with Image.open(out) as image:
        assert image.getpixel((5, 5)) == (10, 120, 40)
    body = server.seen[0].json()
    assert server.seen[0].headers["authorization"] == "Bearer sf-key"
    assert body["model"] == "Kwai-Kolors/Kolors" and body["image_size"] == "720x1280"
    assert body["batch_size"] == 1 and body["prompt"] == "江南水乡，清晨薄雾"


def _kolors_error(seen: Seen) -> tuple[int, dict[str, str], bytes]:
    prompt = seen.json()["prompt"]
    if prompt == "bad key":
        return as_text(401, '"Invalid token"')
    if prompt == "broke":
        return as_json(
            403,
            {"code": 30001, "message": "Sorry, your account balance is insufficient", "data": None},
        )
    if prompt == "busy":
        return as_json(
            429,
            {
                "code": 50603,
                "message": "System is too busy now. Please try again later.",
                "data": None,
            },
        )
    return as_json(
        400,
        {
            "code": 20015,
            "message": "The prompt contains sensitive content, please modify it",
            "data": None,
        },
    )


@pytest.mark.parametrize(
    ("prompt", "raised", "words", "tries"),
    [
        ("bad key", ProviderError, "rejected the API key.*LAOTIE_KOLORS_API_KEY", 1),
        ("broke", ProviderRateLimited, "quota or rate limit.*balance is insufficient", 1),
        ("busy", ProviderRateLimited, "too busy", 3),
        ("敏感内容", ProviderError, "refused the content.*sensitive", 1),
    ],
)
def test_kolors_errors_are_clear(
    tmp_path: Path, prompt: str, raised: type[Exception], words: str, tries: int
) -> None:
    with provider_server() as server:
        server.route("POST", "/v1/images/generations", _kolors_error)
        kolors = KolorsImages(api_key="sf", base_url=f"{server.base_url}/v1", retries=2)
        with pytest.raises(raised, match=words):
            kolors.image(prompt, out=tmp_path / "k.png")
    assert len(server.seen) == tries
