"""A trained model version: sources, feature tables, ranker, user state, manifest.

On disk: ``<models_dir>/<version>/`` (``<home>/models/feed``) holds ``manifest.json`` (data
window, counts, offline metrics, sha256 of every file) and one ``.npz`` per part;
``<models_dir>/CURRENT`` names the version to serve. A version is written to a temporary
directory and renamed into place, and ``CURRENT`` is replaced atomically, so a reader never
sees half a version. Loading verifies every checksum and raises ``ArtefactError`` on any
mismatch.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from laotie.core.errors import ArtefactError
from laotie.feed.catalog import Catalog
from laotie.feed.features import FeatureStats
from laotie.feed.ranker import Ranker
from laotie.feed.sources import SOURCE_TYPES, Source
from laotie.feed.state import UserState

CURRENT = "CURRENT"


@dataclass
class Bundle:
    """Everything a feed request needs from training."""

    version: str
    sources: dict[str, Source]
    stats: FeatureStats | None
    ranker: Ranker | None
    state: UserState
    categories: list[str]
    manifest: dict[str, Any] = field(default_factory=dict)

    def bind(self, catalog: Catalog, clock: Any) -> None:
        """Attach the serving catalog, this bundle's user state and the clock to every source."""
        for source in self.sources.values():
            source.bind(catalog=catalog, state=self.state, clock=clock)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_state(state: UserState, path: Path) -> None:
    """Write a user state as flat arrays (.npz)."""

    def flat(mapping: dict[int, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        users = np.fromiter(mapping.keys(), np.int64, len(mapping))
        sizes = np.fromiter(map(len, mapping.values()), np.int64, len(mapping))
        ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        # chained in C: a generator over every (user, item) cost most of a save
        values = np.fromiter(chain.from_iterable(mapping.values()), np.int64, int(ptr[-1]))
        return users, ptr, values

    progress = [(u, c, i, t) for u, d in state.progress.items() for c, (i, t) in d.items()]
    arrays = np.array(progress, dtype=np.int64).reshape(-1, 4)
    r, s, f = flat(state.recent), flat(state.seen), flat(state.follows)
    with path.open("wb") as handle:
        np.savez(
            handle,
            recent_users=r[0],
            recent_ptr=r[1],
            recent_items=r[2],
            seen_users=s[0],
            seen_ptr=s[1],
            seen_items=s[2],
            follow_users=f[0],
            follow_ptr=f[1],
            follow_creators=f[2],
            progress=arrays,
            limits=np.array([state.recent_max, state.seen_max]),
        )


def load_state(path: Path) -> UserState:
    """Read a user state written by ``save_state``."""
    with np.load(path, allow_pickle=False) as data:
        recent_max, seen_max = (int(x) for x in data["limits"])
        state = UserState(recent_max=recent_max, seen_max=seen_max)

        def unflat(prefix: str, values: str) -> dict[int, list[int]]:
            users, ptr, flat = data[f"{prefix}_users"], data[f"{prefix}_ptr"], data[values]
            return {int(u): flat[ptr[k] : ptr[k + 1]].tolist() for k, u in enumerate(users)}

        state.recent = unflat("recent", "recent_items")
        state.seen = {u: set(v) for u, v in unflat("seen", "seen_items").items()}
        state.follows = {u: set(v) for u, v in unflat("follow", "follow_creators").items()}
        for u, c, i, t in data["progress"].tolist():
            state.progress.setdefault(u, {})[c] = (i, t)
    return state


def save_bundle(bundle: Bundle, models_dir: Path, *, keep: int = 5) -> Path:
    """Write ``bundle`` as a new version and make it CURRENT; prune old versions beyond ``keep``."""
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / bundle.version
    if final.exists():
        raise ArtefactError(f"model version {bundle.version} already exists", path=str(final))
    tmp = models_dir / f".tmp-{bundle.version}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "sources").mkdir(parents=True)
    for name, source in bundle.sources.items():
        source.save(tmp / "sources" / f"{name}.npz")
    if bundle.stats is not None:
        bundle.stats.save(tmp / "stats.npz")
    if bundle.ranker is not None:
        bundle.ranker.save(tmp / "ranker.npz")
    save_state(bundle.state, tmp / "state.npz")
    files = sorted(p for p in tmp.rglob("*.npz"))
    manifest = {
        **bundle.manifest,
        "version": bundle.version,
        "categories": bundle.categories,
        "sources": list(bundle.sources),
        "files": {str(p.relative_to(tmp)): _sha256(p) for p in files},
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
    os.replace(tmp, final)
    set_current(models_dir, bundle.version)
    versions = sorted(  # oldest first, by when each version was written
        (p for p in models_dir.iterdir() if p.is_dir() and (p / "manifest.json").is_file()),
        key=lambda p: (p / "manifest.json").stat().st_mtime_ns,
    )
    for old in versions[:-keep]:
        if old.name != bundle.version:
            shutil.rmtree(old, ignore_errors=True)
    return final


def set_current(models_dir: Path, version: str) -> None:
    """Point CURRENT at ``version`` atomically."""
    tmp = models_dir / f".{CURRENT}.tmp"
    tmp.write_text(version)
    os.replace(tmp, models_dir / CURRENT)


def publish_current(source_dir: Path, target_dir: Path) -> str | None:
    """Copy ``source_dir``'s CURRENT version into ``target_dir`` and make it CURRENT there
    (checksums verified first); returns the version, None when ``source_dir`` has none."""
    version = current_version(source_dir)
    if version is None:
        return None
    load_bundle(source_dir / version)  # ArtefactError rather than publishing a corrupt copy
    target_dir.mkdir(parents=True, exist_ok=True)
    if not (target_dir / version).exists():
        tmp = target_dir / f".tmp-{version}"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(source_dir / version, tmp)
        os.replace(tmp, target_dir / version)
    set_current(target_dir, version)
    return version


def current_version(models_dir: Path) -> str | None:
    """The version CURRENT names, or None when nothing was trained."""
    try:
        return (models_dir / CURRENT).read_text().strip() or None
    except FileNotFoundError:
        return None


def next_version(models_dir: Path, *, now_ms: int) -> str:
    """A new version name: ``v`` and the UTC time of ``now_ms``, with ``-2``, ``-3``, ... while
    a version of that name exists."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now_ms / 1000))
    version, k = f"v{stamp}", 1
    while (models_dir / version).exists():
        k += 1
        version = f"v{stamp}-{k}"
    return version


def load_bundle(directory: Path) -> Bundle:
    """Load and verify a version directory; ``ArtefactError`` if anything is missing or corrupt."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
        files: dict[str, str] = manifest["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise ArtefactError(
            f"model {directory.name}: unreadable manifest: {exc}", path=str(directory)
        ) from exc
    for relative, expected in files.items():
        path = directory / relative
        if not path.is_file() or _sha256(path) != expected:
            raise ArtefactError(
                f"model {directory.name}: {relative} is missing or corrupt", path=str(path)
            )
    sources: dict[str, Source] = {}
    for name in manifest["sources"]:
        sources[name] = SOURCE_TYPES[name].load(directory / "sources" / f"{name}.npz")
    stats = FeatureStats.load(directory / "stats.npz") if "stats.npz" in files else None
    ranker = Ranker.load(directory / "ranker.npz") if "ranker.npz" in files else None
    try:
        state = load_state(directory / "state.npz")
    except (OSError, ValueError, KeyError) as exc:
        raise ArtefactError(
            f"model {directory.name}: bad user state: {exc}", path=str(directory)
        ) from exc
    return Bundle(
        version=manifest["version"],
        sources=sources,
        stats=stats,
        ranker=ranker,
        state=state,
        categories=list(manifest["categories"]),
        manifest=manifest,
    )
