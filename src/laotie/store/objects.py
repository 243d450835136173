"""Where large files live: a folder under the home (default) or an S3-compatible bucket.

One small interface, ``ObjectStore`` (put, get, list, delete, and what Polars needs to read an
object), with two implementations: ``LocalObjects`` (files, written to a temporary name,
fsynced and renamed, so a reader never sees half a file) and ``S3Objects`` (obstore: S3,
MinIO, Ceph or any S3-API server; a PUT is atomic there). Keys are ``/``-separated paths
relative to the store's root.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

from laotie.core.errors import InvalidInput, NotFound, ProviderError

if TYPE_CHECKING:
    from obstore.store import S3Config

    from laotie.core.settings import Settings


class ObjectStore(Protocol):
    """A flat namespace of byte objects under one root."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` whole (readers see the old object or the new one)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes of ``key``; NotFound when there is none."""
        ...

    def list_keys(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (a folder-like path, ``""`` for all)."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (nothing happens when it is absent)."""
        ...

    def location(self, key: str) -> str:
        """A path or URL of ``key`` that Polars can scan with ``storage_options``."""
        ...

    @property
    def storage_options(self) -> dict[str, str] | None:
        """Polars' ``storage_options`` for ``location``s (None for local files)."""
        ...


class LocalObjects:
    """Objects as files under ``root``."""

    storage_options = None

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, key: str, data: bytes) -> None:
        """Write to ``key.tmp``, fsync, rename over ``key``."""
        final = self.root / key
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(final.name + ".tmp")
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.rename(final)

    def get(self, key: str) -> bytes:
        """The file's bytes."""
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"no object {key!r} under {self.root}", field="key") from exc

    def list_keys(self, prefix: str = "") -> list[str]:
        """Files under ``root/prefix``, relative to ``root`` (sorted)."""
        base = self.root / prefix if prefix else self.root
        if not base.exists():
            return []
        return sorted(str(p.relative_to(self.root)) for p in base.rglob("*") if p.is_file())

    def delete(self, key: str) -> None:
        """Unlink the file if it is there."""
        (self.root / key).unlink(missing_ok=True)

    def location(self, key: str) -> str:
        """The file's path."""
        return str(self.root / key)


class S3Objects:
    """Objects in ``s3://bucket/prefix`` through obstore (any S3-API endpoint)."""

    def __init__(
        self,
        url: str,
        *,
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
    ) -> None:
        from obstore.store import S3Store

        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise InvalidInput(f"{url!r} is not s3://BUCKET[/PREFIX]", field="url")
        self.url = url.rstrip("/")
        self.bucket, self.prefix = parsed.netloc, parsed.path.strip("/")
        self._options = {"aws_region": region}
        if endpoint_url:
            self._options["aws_endpoint_url"] = endpoint_url
            self._options["aws_allow_http"] = str(endpoint_url.startswith("http://")).lower()
        if access_key_id:
            self._options["aws_access_key_id"] = access_key_id
            self._options["aws_secret_access_key"] = secret_access_key
        config: S3Config = {"region": region, "virtual_hosted_style_request": False}
        if endpoint_url:
            config["endpoint"] = endpoint_url
        if access_key_id:
            config["access_key_id"] = access_key_id
            config["secret_access_key"] = secret_access_key
        self._store = S3Store(
            self.bucket,
            prefix=self.prefix or None,
            config=config,
            client_options={"allow_http": endpoint_url.startswith("http://")},
        )

    @property
    def storage_options(self) -> dict[str, str]:
        """Endpoint, region and credentials in Polars' (object_store's) names."""
        return dict(self._options)

    def put(self, key: str, data: bytes) -> None:
        """One PUT (atomic on S3: the object appears whole or not at all)."""
        import obstore

        with _translated(self.url, key):
            obstore.put(self._store, key, data)

    def get(self, key: str) -> bytes:
        """One GET; NotFound for a missing key."""
        import obstore

        with _translated(self.url, key):
            return bytes(obstore.get(self._store, key).bytes())

    def list_keys(self, prefix: str = "") -> list[str]:
        """A LIST of the keys under ``prefix`` (sorted)."""
        import obstore

        with _translated(self.url, prefix):
            found = [
                str(meta["path"])
                for batch in obstore.list(self._store, prefix=prefix or None)
                for meta in batch
            ]
        return sorted(found)

    def delete(self, key: str) -> None:
        """One DELETE."""
        import obstore

        with _translated(self.url, key):
            obstore.delete(self._store, key)

    def location(self, key: str) -> str:
        """``s3://bucket/prefix/key``."""
        return f"{self.url}/{key}"

    def signed_url(self, key: str, *, seconds: int = 900) -> str:
        """A presigned GET URL of ``key``, valid for ``seconds``."""
        import obstore

        with _translated(self.url, key):
            return str(obstore.sign(self._store, "GET", key, timedelta(seconds=seconds)))


@contextmanager
def _translated(url: str, key: str) -> Iterator[None]:
    """Turn obstore's errors into NotFound / ProviderError naming the store and key."""
    from obstore.exceptions import BaseError, NotFoundError

    try:
        yield
    except (NotFoundError, FileNotFoundError) as exc:
        raise NotFound(f"no object {key!r} in {url}", field="key") from exc
    except (BaseError, OSError) as exc:
        raise ProviderError(f"object store {url} failed on {key!r}: {exc}", store=url) from exc


def open_objects(url: str, settings: Settings, *, default: Path) -> ObjectStore:
    """``S3Objects`` for an ``s3://`` ``url`` (with the settings' endpoint and keys),
    ``LocalObjects`` at ``default`` for an empty one."""
    if not url:
        return LocalObjects(default)
    return S3Objects(
        url,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key_id=settings.s3_access_key_id,
        secret_access_key=settings.s3_secret_access_key,
    )
