"""The lake and studio outputs on an S3-protocol server: moto's server mode on loopback.

moto speaks the S3 REST API (SigV4-signed PUT/GET/LIST/DELETE, presigned URLs); the code
under test talks to it through obstore and Polars exactly as it would to S3 or MinIO. moto
does not check signatures by default, so these tests do not show that a tampered link fails.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY, day_start_ms
from laotie.core.errors import NotFound
from laotie.core.settings import Settings, load_settings
from laotie.store.objects import S3Objects
from laotie.store.repos import catalog
from laotie.wiring import Services, build_services

DAY0 = day_start_ms(1_795_900_000_000, "UTC")
MOTO = Path(sys.executable).parent / "moto_server"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of a moto S3 server started for these tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [str(MOTO), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _bucket(endpoint: str, name: str) -> str:
    """Create bucket ``name`` with S3's CreateBucket (PUT /name) and return its URL."""
    assert httpx.put(f"{endpoint}/{name}").status_code == 200
    return f"s3://{name}"


@pytest.fixture
def s3_settings(settings: Settings, s3_endpoint: str, request: pytest.FixtureRequest) -> Settings:
    """The temporary home with the lake and the media in fresh buckets on the moto server."""
    bucket = _bucket(s3_endpoint, f"laotie-{request.node.name[:30].replace('_', '-')}")
    return load_settings(
        home=settings.home,
        lake_url=f"{bucket}/lake/events",
        media_url=f"{bucket}/media",
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="laotie-test",
        s3_secret_access_key="laotie-test-secret",
    )


@pytest.fixture
def s3_services(s3_settings: Settings) -> Iterator[Services]:
    """Every service on the S3-backed settings."""
    built = build_services(s3_settings)
    yield built
    built.close()


def _seed(services: Services) -> None:
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.create_item(s, item=ItemCreate(id="i1", kind="video", creator_id="c1", title="t"))
    services.events.ingest(
        [
            {
                "id": f"e{k}",
                "type": "watch",
                "user_id": f"u{k % 4}",
                "item_id": "i1",
                "ts_ms": DAY0 + k * 3_600_000,
                "watch_ms": 10,
                "duration_ms": 20,
            }
            for k in range(30)
        ]
    )


def test_the_lake_is_compacted_into_the_bucket_and_read_back(s3_services: Services) -> None:
    _seed(s3_services)
    before = s3_services.lake.read()
    report = s3_services.lake.compact(DAY0 + MS_PER_DAY + 5)
    assert (report.rows, report.parts) == (24, 1)
    assert s3_services.lake.root is None  # nothing written under the home
    assert not (s3_services.settings.home / "lake").exists()
    objects = s3_services.lake.objects
    assert isinstance(objects, S3Objects)
    keys = objects.list_keys()
    assert len(keys) == 1 and keys[0].startswith("day=") and keys[0].endswith(".parquet")
    assert objects.get(keys[0])[:4] == b"PAR1"
    assert s3_services.lake.read().equals(before)
    window = s3_services.lake.read(start_ms=DAY0 + 20 * 3_600_000, end_ms=DAY0 + 26 * 3_600_000)
    assert window.height == 6  # 4 from the bucket's part, 2 from the hot log


def test_an_orphan_object_is_removed_and_never_read(s3_services: Services) -> None:
    _seed(s3_services)
    objects = s3_services.lake.objects
    orphan = "day=2026-01-01/part-orphan.parquet"
    objects.put(orphan, b"PAR1 not really")
    s3_services.lake.compact(DAY0 + MS_PER_DAY)
    assert orphan not in objects.list_keys()
    assert s3_services.lake.read().height == 30
    with pytest.raises(NotFound):
        objects.get(orphan)


def test_insights_read_the_lake_in_the_bucket(s3_services: Services) -> None:
    _seed(s3_services)
    s3_services.lake.compact(DAY0 + 2 * MS_PER_DAY)
    assert s3_services.events.count() == 0  # every event now lives only in the bucket
    first = s3_services.insights.first_event_day(
        first_day=s3_services.insights.today().replace(year=2026, month=1, day=1),
        last_day=s3_services.insights.today().replace(year=2027, month=1, day=1),
    )
    assert first is not None


def test_a_studio_video_is_kept_in_the_bucket_and_served_back(
    s3_services: Services, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from laotie.api import create_app
    from laotie.store.repos import access

    job = s3_services.studio_jobs.submit(
        "narrate", {"text": "老铁们好。", "size": "240x426", "title": "问候", "publish": False}
    )
    done = s3_services.studio_jobs.wait(job.id, timeout_s=180)
    assert done.status == "succeeded", done.error
    result = done.result or {}
    assert set(result["objects"]) == {"video.mp4", Path(result["srt_path"]).name}
    local = Path(result["path"]).read_bytes()
    with s3_services.db.session() as session:
        key, _ = access.create_key(session, role="admin")
    with TestClient(create_app(s3_services)) as http:
        answer = http.get(
            f"/v1/studio/jobs/{job.id}/objects/video.mp4",
            headers={"Authorization": f"Bearer {key}"},
            follow_redirects=False,
        )
        assert answer.status_code == 307
        missing = http.get(
            f"/v1/studio/jobs/{job.id}/objects/nothing.mp4",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert missing.status_code == 404
    signed = answer.headers["location"]
    assert signed.startswith(s3_services.settings.s3_endpoint_url) and "X-Amz-Signature" in signed
    fetched = httpx.get(signed)  # the client fetches from the store, not from laotie
    assert fetched.status_code == 200 and fetched.content == local
