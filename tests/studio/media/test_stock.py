"""Pexels and Pixabay clients against a local server speaking their documented wire formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from laotie.core.errors import ProviderError, ProviderRateLimited, ProviderResponseError
from laotie.studio.providers.stock import PexelsClient, PixabayClient

from ._provider_server import Seen, as_json, as_text, provider_server

CLIP = b"\x00\x00\x00\x18ftypmp42 fake clip bytes"
PHOTO = b"\xff\xd8\xff\xe0 fake jpeg"


def _pexels_videos(base: str) -> dict[str, object]:
    return {
        "page": 1,
        "per_page": 8,
        "total_results": 2,
        "videos": [
            {
                "id": 101,
                "width": 1080,
                "height": 1920,
                "duration": 12,
                "url": "https://www.pexels.com/video/101/",
                "user": {"name": "Li Lei"},
                "video_files": [
                    {
                        "id": 1,
                        "quality": "sd",
                        "file_type": "video/mp4",
                        "width": 360,
                        "height": 640,
                        "link": f"{base}/files/small.mp4",
                    },
                    {
                        "id": 2,
                        "quality": "hd",
                        "file_type": "video/mp4",
                        "width": 1080,
                        "height": 1920,
                        "link": f"{base}/files/hd.mp4",
                    },
                    {
                        "id": 3,
                        "quality": "uhd",
                        "file_type": "video/mp4",
                        "width": 2160,
                        "height": 3840,
                        "link": f"{base}/files/uhd.mp4",
                    },
                ],
            },
            {
                "id": 102,
                "width": 720,
                "height": 1280,
                "duration": 8,
                "url": "https://www.pexels.com/video/102/",
                "user": {"name": "Han Meimei"},
                "video_files": [
                    {
                        "id": 4,
                        "quality": "hd",
                        "file_type": "video/mp4",
                        "width": 720,
                        "height": 1280,
                        "link": f"{base}/files/b.mp4",
                    },
                ],
            },
        ],
    }


def test_pexels_video_search_picks_the_smallest_file_that_covers_the_frame(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route(
            "GET", "/videos/search", lambda _s: as_json(200, _pexels_videos(server.base_url))
        )
        server.route("GET", "/files/hd.mp4", lambda _s: (200, {"Content-Type": "video/mp4"}, CLIP))
        client = PexelsClient(api_key="pexels-key", base_url=server.base_url)
        found = client.find("苹果 果园", kind="video", width=1080, height=1920, out_dir=tmp_path)
    assert found is not None
    assert found.path.read_bytes() == CLIP
    assert found.credit == "Li Lei" and found.source_url.endswith("/video/101/")
    search = server.seen[0]
    assert search.headers["authorization"] == "pexels-key"
    assert search.query == {"query": "苹果 果园", "orientation": "portrait", "per_page": "8"}


def test_pexels_photo_search_and_the_next_variant_takes_the_next_hit(tmp_path: Path) -> None:
    photos = {
        "photos": [
            {
                "id": i,
                "width": 3000,
                "height": 4000,
                "url": f"https://www.pexels.com/photo/{i}/",
                "photographer": f"P{i}",
                "src": {"original": "x", "large2x": None},
            }
            for i in (7, 8)
        ]
    }
    with provider_server() as server:
        for item in photos["photos"]:
            item["src"] = {
                "original": f"{server.base_url}/p/{item['id']}.jpeg",
                "large2x": f"{server.base_url}/p/{item['id']}.jpeg",
            }
        server.route("GET", "/v1/search", lambda _s: as_json(200, photos))
        server.route("GET", "/p/8.jpeg", lambda _s: (200, {}, PHOTO))
        client = PexelsClient(api_key="k", base_url=server.base_url)
        found = client.find("咖啡", kind="photo", width=1920, height=1080, out_dir=tmp_path, skip=1)
    assert found is not None and found.path.name == "pexels_photo_8.jpeg"
    assert found.path.read_bytes() == PHOTO and found.credit == "P8"
    assert server.seen[0].query["orientation"] == "landscape"


def test_pexels_without_results_answers_none(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route(
            "GET", "/videos/search", lambda _s: as_json(200, {"videos": [], "total_results": 0})
        )
        client = PexelsClient(api_key="k", base_url=server.base_url)
        assert (
            client.find("没有的东西", kind="video", width=720, height=1280, out_dir=tmp_path)
            is None
        )


def test_pexels_bad_key_and_quota_are_clear(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route("GET", "/videos/search", lambda _s: as_json(401, {"error": "Unauthorized"}))
        client = PexelsClient(api_key="wrong", base_url=server.base_url, retries=0)
        with pytest.raises(
            ProviderError, match=r"rejected the API key.*LAOTIE_PEXELS_API_KEY"
        ) as bad:
            client.find("猫", kind="video", width=720, height=1280, out_dir=tmp_path)
        assert bad.value.context["reason"] == "bad-key"
        server.route("GET", "/videos/search", lambda _s: as_text(429, "Rate limit exceeded"))
        client = PexelsClient(api_key="k", base_url=server.base_url, retries=1)
        with pytest.raises(ProviderRateLimited, match="quota or rate limit"):
            client.find("猫", kind="video", width=720, height=1280, out_dir=tmp_path)
    # the 429 was retried once before giving up
    assert [s.path for s in server.seen].count("/videos/search") == 3


def test_pixabay_videos_photos_and_its_plain_text_errors(tmp_path: Path) -> None:
    def videos(seen: Seen) -> tuple[int, dict[str, str], bytes]:
        if seen.query["key"] != "pixabay-key":
            return as_text(400, '[ERROR 400] "key" is invalid.')
        return as_json(
            200,
            {
                "total": 1,
                "totalHits": 1,
                "hits": [
                    {
                        "id": 55,
                        "pageURL": "https://pixabay.com/videos/id-55/",
                        "user": "sunny",
                        "videos": {
                            "large": {
                                "url": f"{server.base_url}/v/large.mp4",
                                "width": 1920,
                                "height": 1080,
                                "size": 9,
                            },
                            "medium": {
                                "url": f"{server.base_url}/v/medium.mp4",
                                "width": 1280,
                                "height": 720,
                                "size": 5,
                            },
                            "small": {
                                "url": f"{server.base_url}/v/small.mp4",
                                "width": 640,
                                "height": 360,
                                "size": 2,
                            },
                        },
                    }
                ],
            },
        )

    with provider_server() as server:
        server.route("GET", "/api/videos/", videos)
        server.route("GET", "/v/medium.mp4", lambda _s: (200, {}, CLIP))
        server.route(
            "GET",
            "/api/",
            lambda _s: as_json(
                200,
                {
                    "totalHits": 1,
                    "hits": [
                        {
                            "id": 9,
                            "pageURL": "p",
                            "user": "u",
                            "largeImageURL": f"{server.base_url}/i/9.jpg",
                            "imageWidth": 4000,
                            "imageHeight": 3000,
                        }
                    ],
                },
            ),
        )
        server.route("GET", "/i/9.jpg", lambda _s: (200, {}, PHOTO))
        client = PixabayClient(api_key="pixabay-key", base_url=server.base_url)
        clip = client.find("海边 日落", kind="video", width=720, height=1280, out_dir=tmp_path)
        photo = client.find("海边", kind="photo", width=720, height=1280, out_dir=tmp_path)
        assert clip is not None and clip.path.read_bytes() == CLIP and clip.credit == "sunny"
        assert photo is not None and photo.path.read_bytes() == PHOTO
        sent = [s.query for s in server.seen if s.path.startswith("/api")]
        assert (
            sent[0]["q"] == "海边 日落"
            and sent[0]["per_page"] == "8"
            and sent[0]["safesearch"] == "true"
        )
        assert sent[1]["orientation"] == "vertical" and sent[1]["image_type"] == "photo"
        bad = PixabayClient(api_key="nope", base_url=server.base_url, retries=0)
        with pytest.raises(
            ProviderResponseError, match=r'pixabay answered 400: \[ERROR 400\] "key" is invalid'
        ):
            bad.find("海边", kind="video", width=720, height=1280, out_dir=tmp_path)


def test_a_download_answering_html_error_is_reported(tmp_path: Path) -> None:
    with provider_server() as server:
        server.route(
            "GET", "/videos/search", lambda _s: as_json(200, _pexels_videos(server.base_url))
        )
        server.route("GET", "/files/hd.mp4", lambda _s: as_text(403, "Forbidden"))
        client = PexelsClient(api_key="k", base_url=server.base_url, retries=0)
        with pytest.raises(ProviderError, match="403"):
            client.find("苹果", kind="video", width=1080, height=1920, out_dir=tmp_path)
