"""``LocalObjects`` (the default object store) and the object-store settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from laotie.core.errors import InvalidInput, NotFound
from laotie.core.settings import Settings, load_settings
from laotie.store.objects import LocalObjects, S3Objects, open_objects


def test_local_objects_put_get_list_delete(tmp_path: Path) -> None:
    store = LocalObjects(tmp_path / "objects")
    assert store.list_keys() == []
    store.put("day=2026-01-01/part-a.parquet", b"one")
    store.put("day=2026-01-01/part-a.parquet", b"two")  # replaced whole
    store.put("studio/job/video.mp4", b"\x00\x01")
    assert store.get("day=2026-01-01/part-a.parquet") == b"two"
    assert store.list_keys() == ["day=2026-01-01/part-a.parquet", "studio/job/video.mp4"]
    assert store.list_keys("studio") == ["studio/job/video.mp4"]
    assert not list((tmp_path / "objects").rglob("*.tmp"))
    store.delete("studio/job/video.mp4")
    store.delete("studio/job/video.mp4")  # absent: nothing happens
    with pytest.raises(NotFound, match=r"video\.mp4"):
        store.get("studio/job/video.mp4")
    assert store.location("k") == str(tmp_path / "objects" / "k")
    assert store.storage_options is None


def test_settings_choose_the_store(settings: Settings) -> None:
    default = open_objects(settings.lake_url, settings, default=settings.home / "lake")
    assert isinstance(default, LocalObjects) and default.root == settings.home / "lake"
    s3 = load_settings(
        home=settings.home,
        lake_url="s3://laotie-lake/events/",
        s3_endpoint_url="http://10.0.0.9:9000",
    )
    store = open_objects(s3.lake_url, s3, default=s3.home / "lake")
    assert isinstance(store, S3Objects)
    assert store.location("day=x/p.parquet") == "s3://laotie-lake/events/day=x/p.parquet"
    assert store.storage_options["aws_endpoint_url"] == "http://10.0.0.9:9000"
    assert store.storage_options["aws_allow_http"] == "true"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("lake_url", "http://bucket/x"),
        ("lake_url", "s3://"),
        ("media_url", "/var/media"),
        ("spark_master", "yarn"),
        ("spark_master", "local[0]"),
        ("spark_driver_memory", "lots"),
    ],
)
def test_bad_settings_name_the_variable(settings: Settings, name: str, value: str) -> None:
    with pytest.raises(InvalidInput, match=f"LAOTIE_{name.upper()}"):
        load_settings(home=settings.home, **{name: value})
