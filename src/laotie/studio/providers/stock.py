"""Stock footage: Pexels and Pixabay search + download (videos and photos).

Wire formats (both documented public APIs):

- Pexels: ``GET {base}/videos/search`` and ``GET {base}/v1/search`` with ``query``,
  ``orientation`` (portrait|landscape|square), ``per_page``; the key goes in the
  ``Authorization`` header as is. Answers ``{"videos": [{"id", "width", "height",
  "duration", "url", "user": {"name"}, "video_files": [{"link", "width", "height",
  "file_type"}]}]}`` and ``{"photos": [{"id", "width", "height", "url", "photographer",
  "src": {"original", "large2x", "portrait", "landscape"}}]}``.
- Pixabay: ``GET {base}/api/`` (photos) and ``GET {base}/api/videos/`` with ``key``, ``q``,
  ``orientation`` (vertical|horizontal|all, photos only), ``per_page`` (3-200),
  ``safesearch``; answers ``{"totalHits", "hits": [...]}`` where a photo hit has
  ``largeImageURL``/``webformatURL`` and a video hit ``videos.{large,medium,small}.{url,
  width, height}``. A bad key is a plain-text ``[ERROR 400] "key" is invalid``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx

from laotie.core.errors import InvalidInput, ProviderError, ProviderResponseError
from laotie.studio.providers.http import call, download

#: what a search asks for
MediaKind = Literal["video", "photo"]
#: largest file downloaded (bytes)
MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
PEXELS_BASE_URL = "https://api.pexels.com"
PIXABAY_BASE_URL = "https://pixabay.com"


@dataclass(frozen=True)
class Footage:
    """A downloaded stock file, the provider, and the credit the licence asks for."""

    path: Path
    kind: MediaKind
    provider: str
    source_url: str
    credit: str


@dataclass(frozen=True)
class _Candidate:
    id: str
    url: str
    width: int
    height: int
    page: str
    credit: str


def orientation_of(width: int, height: int) -> str:
    """``portrait``, ``landscape`` or ``square`` for a frame size."""
    if width == height:
        return "square"
    return "portrait" if height > width else "landscape"


def _best(candidates: list[_Candidate], *, width: int, height: int) -> _Candidate | None:
    """The smallest file that covers the frame, else the largest one (fewer bytes to fetch)."""
    if not candidates:
        return None
    short = min(width, height)
    covering = [c for c in candidates if min(c.width, c.height) >= short]
    if covering:
        return min(covering, key=lambda c: c.width * c.height)
    return max(candidates, key=lambda c: c.width * c.height)


def _best_of_each(hits: Iterable[list[_Candidate]], *, width: int, height: int) -> list[_Candidate]:
    """The best-fitting file of every hit (see :func:`_best`); a hit with none is left out."""
    best = (_best(files, width=width, height=height) for files in hits)
    return [candidate for candidate in best if candidate is not None]


class _StockClient:
    name = "stock"
    key_setting = ""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        timeout_s: float = 60.0,
        retries: int = 2,
        http: httpx.Client | None = None,
    ) -> None:
        if not api_key:
            raise InvalidInput(f"{self.name} needs an API key", field=self.key_setting)
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self._http = http or httpx.Client(timeout=timeout_s, follow_redirects=True)

    def _get(self, path: str, params: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        response = call(
            self._http,
            "GET",
            f"{self.base_url}{path}",
            provider=self.name,
            key_setting=self.key_setting,
            retries=self.retries,
            params=params,
            headers=headers,
        )
        try:
            data = response.json()
        except ValueError as exc:
            raise ProviderResponseError(f"{self.name} answer is not JSON") from exc
        if not isinstance(data, dict):
            raise ProviderResponseError(f"{self.name} answer is not a JSON object")
        return data

    def candidates(
        self, query: str, *, kind: MediaKind, width: int, height: int, count: int
    ) -> list[_Candidate]:
        """Search results as downloadable candidates (implemented per provider)."""
        raise NotImplementedError

    def find(
        self,
        query: str,
        *,
        kind: MediaKind,
        width: int,
        height: int,
        out_dir: Path,
        skip: int = 0,
        count: int = 8,
    ) -> Footage | None:
        """Search ``query``, download the ``skip``-th usable hit to ``out_dir``; None if none."""
        if not query.strip():
            raise InvalidInput("a stock search needs words", field="query")
        found = self.candidates(query, kind=kind, width=width, height=height, count=count)
        if not found:
            return None
        chosen = found[skip % len(found)]
        data = download(
            self._http,
            chosen.url,
            provider=self.name,
            max_bytes=MAX_DOWNLOAD_BYTES,
            key_setting=self.key_setting,
        )
        suffix = ".mp4" if kind == "video" else Path(chosen.url.split("?")[0]).suffix or ".jpg"
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{self.name}_{kind}_{chosen.id}{suffix.lower()}"
        path.write_bytes(data)
        return Footage(path, kind, self.name, chosen.page, chosen.credit)


def _candidate(
    item: dict[str, Any],
    *,
    id: object,
    url: object,
    size: tuple[str, str],
    page: object,
    credit: object,
) -> _Candidate:
    """A candidate from one answer item; ``size`` names its width and height keys."""
    try:
        width, height = (int(item.get(k) or 0) for k in size)
    except (TypeError, ValueError) as exc:
        raise ProviderResponseError(f"stock answer has a non-numeric size: {item}") from exc
    return _Candidate(str(id), str(url), width, height, str(page), str(credit))


class PexelsClient(_StockClient):
    """Pexels video and photo search (``Authorization: <key>``)."""

    name = "pexels"
    key_setting = "LAOTIE_PEXELS_API_KEY"

    def __init__(self, *, api_key: str, base_url: str = PEXELS_BASE_URL, **options: Any) -> None:
        super().__init__(api_key=api_key, base_url=base_url, **options)

    def candidates(
        self, query: str, *, kind: MediaKind, width: int, height: int, count: int
    ) -> list[_Candidate]:
        """Pexels hits, each reduced to its best-fitting file."""
        params = {"query": query, "orientation": orientation_of(width, height), "per_page": count}
        headers = {"Authorization": self.api_key}
        if kind == "video":
            data = self._get("/videos/search", params, headers)
            files_of_each = (
                [
                    _candidate(
                        f,
                        id=video.get("id"),
                        url=f["link"],
                        size=("width", "height"),
                        page=video.get("url", ""),
                        credit=(video.get("user") or {}).get("name", ""),
                    )
                    for f in video.get("video_files") or []
                    if f.get("link") and f.get("file_type", "video/mp4") == "video/mp4"
                ]
                for video in data.get("videos") or []
            )
            return _best_of_each(files_of_each, width=width, height=height)
        data = self._get("/v1/search", params, headers)
        found: list[_Candidate] = []
        for photo in data.get("photos") or []:
            src = photo.get("src") or {}
            url = src.get("large2x") or src.get("original")
            if url:
                found.append(
                    _candidate(
                        photo,
                        id=photo.get("id"),
                        url=url,
                        size=("width", "height"),
                        page=photo.get("url", ""),
                        credit=photo.get("photographer", ""),
                    )
                )
        return found


class PixabayClient(_StockClient):
    """Pixabay photo and video search (``key`` query parameter)."""

    name = "pixabay"
    key_setting = "LAOTIE_PIXABAY_API_KEY"

    def __init__(self, *, api_key: str, base_url: str = PIXABAY_BASE_URL, **options: Any) -> None:
        super().__init__(api_key=api_key, base_url=base_url, **options)

    def candidates(
        self, query: str, *, kind: MediaKind, width: int, height: int, count: int
    ) -> list[_Candidate]:
        """Pixabay hits, each reduced to its best-fitting rendition."""
        params: dict[str, Any] = {
            "key": self.api_key,
            "q": query[:100],
            "per_page": max(3, min(count, 200)),
            "safesearch": "true",
        }
        if kind == "video":
            data = self._get("/api/videos/", params, {})
            renditions_of_each = (
                [
                    _candidate(
                        v,
                        id=hit.get("id"),
                        url=v["url"],
                        size=("width", "height"),
                        page=hit.get("pageURL", ""),
                        credit=hit.get("user", ""),
                    )
                    for v in (hit.get("videos") or {}).values()
                    if isinstance(v, dict) and v.get("url")
                ]
                for hit in data.get("hits") or []
            )
            return _best_of_each(renditions_of_each, width=width, height=height)
        shape = orientation_of(width, height)
        params["image_type"] = "photo"
        params["orientation"] = {"portrait": "vertical", "landscape": "horizontal"}.get(
            shape, "all"
        )
        data = self._get("/api/", params, {})
        found: list[_Candidate] = []
        for hit in data.get("hits") or []:
            url = hit.get("largeImageURL") or hit.get("webformatURL")
            if url:
                found.append(
                    _candidate(
                        hit,
                        id=hit.get("id"),
                        url=url,
                        size=("imageWidth", "imageHeight"),
                        page=hit.get("pageURL", ""),
                        credit=hit.get("user", ""),
                    )
                )
        return found


def stock_client(name: str, *, api_key: str, base_url: str = "") -> _StockClient:
    """The Pexels or Pixabay client by name."""
    if name == "pexels":
        return PexelsClient(api_key=api_key, base_url=base_url or PEXELS_BASE_URL)
    if name == "pixabay":
        return PixabayClient(api_key=api_key, base_url=base_url or PIXABAY_BASE_URL)
    raise ProviderError(f"unknown stock provider {name!r}", provider=name)
