"""Studio input files: the one area of the server's disk an API caller may name.

An API caller never gives a server path. It uploads a file (``POST /v1/studio/files``), gets
an id (``file_...``) and names that id in a job's params; the job kind's validator resolves
the id to a path here, after checking that the caller owns it. Files are stored by id under
``$LAOTIE_HOME/studio/files/`` with a small JSON record (owner, name, size, SHA-256) beside
each, and are written through a byte cap so a large body never reaches the disk whole.
The CLI, a trusted local process, may still give local paths.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

from laotie.core.errors import InvalidInput, NotFound
from laotie.core.ids import new_id
from laotie.core.settings import Settings

FILE_PREFIX = "file_"
_FILE_ID = re.compile(r"^file_[0-9A-Za-z]{10,40}$")
_SUFFIX = re.compile(r"^\.[0-9A-Za-z]{1,8}$")


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file's record: id, owner, original name, size in bytes and SHA-256."""

    id: str
    owner: str | None
    name: str
    size_bytes: int
    sha256: str


def is_file_id(value: str) -> bool:
    """True when ``value`` has the shape of a studio file id."""
    return bool(_FILE_ID.match(value))


class StudioFiles:
    """Files uploaded for studio jobs, stored by id under ``root``."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def _record_path(self, file_id: str) -> Path:
        """Where the record of ``file_id`` lies (the data file's name is in the record)."""
        return self.root / f"{file_id}.json"

    def _create(self, owner: str | None, name: str, file_id: str | None = None) -> _Sink:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        file_id = file_id or new_id(FILE_PREFIX)
        suffix = Path(name).suffix.lower()
        data_path = self.root / (file_id + (suffix if _SUFFIX.match(suffix) else ""))
        return _Sink(self, file_id, data_path, owner=owner, name=name[:200])

    async def save(
        self, chunks: AsyncIterator[bytes], *, owner: str | None, name: str
    ) -> StoredFile:
        """Write ``chunks`` to a new file (refused past ``max_bytes``) and record its owner."""
        sink = self._create(owner, name)
        try:
            async for chunk in chunks:
                sink.write(chunk)
        except BaseException:
            sink.abort()
            raise
        return sink.finish()

    def save_bytes(self, data: bytes, *, owner: str | None, name: str) -> StoredFile:
        """``save`` for content already in memory (e.g. a novel given inline).

        The id is derived from the owner and the content, so the same content saved again by
        the same owner is the same file (a repeated job submission stays identical)."""
        digest = hashlib.sha256(f"{owner or ''}\0".encode() + data).hexdigest()
        file_id = FILE_PREFIX + digest[:32]
        record_path = self._record_path(file_id)
        if record_path.is_file():
            record = json.loads(record_path.read_text(encoding="utf-8"))
            record.pop("path", None)
            return StoredFile(**record)
        sink = self._create(owner, name, file_id)
        try:
            sink.write(data)
        except BaseException:
            sink.abort()
            raise
        return sink.finish()

    def resolve(self, file_id: str, *, owner: str | None, field: str) -> Path:
        """The path of an uploaded file that ``owner`` may use (None: any owner, an admin)."""
        if not is_file_id(file_id):
            raise InvalidInput(
                f"{field} must be a studio file id from POST /v1/studio/files, "
                f"never a server path: {file_id[:80]!r}",
                field=field,
            )
        record_path = self._record_path(file_id)
        if not record_path.is_file():
            raise NotFound(f"studio file {file_id} does not exist", field=field)
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if owner is not None and record.get("owner") != owner:
            # the same answer as a missing file: ids of other tenants' files are not revealed
            raise NotFound(f"studio file {file_id} does not exist", field=field)
        return self.root / str(record["path"])


class _Sink:
    """One file being written: counts bytes against the cap and hashes as it goes."""

    def __init__(
        self, files: StudioFiles, file_id: str, path: Path, *, owner: str | None, name: str
    ) -> None:
        self.files, self.file_id, self.path = files, file_id, path
        self.owner, self.name = owner, name
        self.size = 0
        self.digest = hashlib.sha256()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.handle = os.fdopen(descriptor, "wb")

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; InvalidInput once the file passes the size limit."""
        self.size += len(chunk)
        limit = self.files.max_bytes
        if self.size > limit:
            raise InvalidInput(f"a studio file is at most {limit} bytes", field="body", limit=limit)
        self.digest.update(chunk)
        self.handle.write(chunk)

    def abort(self) -> None:
        """Remove the partial file."""
        self.handle.close()
        self.path.unlink(missing_ok=True)

    def finish(self) -> StoredFile:
        """Close the file and write its record (refusing an empty file)."""
        self.handle.close()
        if self.size == 0:
            self.path.unlink(missing_ok=True)
            raise InvalidInput("a studio file must not be empty", field="body", limit=1)
        stored = StoredFile(self.file_id, self.owner, self.name, self.size, self.digest.hexdigest())
        record = {**asdict(stored), "path": self.path.name}
        record_path = self.files._record_path(self.file_id)
        descriptor = os.open(record_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(record, handle, ensure_ascii=False)
        return stored


def studio_files(settings: Settings) -> StudioFiles:
    """The studio files area of ``settings``' home, with its size limit."""
    return StudioFiles(
        settings.home / "studio" / "files", max_bytes=settings.studio_max_file_mb * 1024 * 1024
    )
