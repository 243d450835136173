"""Running ffmpeg (the binary named by the ``ffmpeg`` setting, ``LAOTIE_FFMPEG``, else the one
imageio-ffmpeg ships); its failures become ``MediaError``."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import imageio_ffmpeg

from laotie.core.errors import MediaError
from laotie.core.ids import new_id
from laotie.core.settings import get_settings

log = logging.getLogger(__name__)

#: lines of ffmpeg's stderr kept in a ``MediaError`` message
STDERR_TAIL_LINES = 12


@lru_cache(maxsize=1)
def _bundled_ffmpeg() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: the ``ffmpeg`` setting when set, else imageio-ffmpeg's."""
    return get_settings().ffmpeg or _bundled_ffmpeg()


def _run(
    args: Sequence[str], *, stage: str, input_name: str, timeout_s: float, cwd: Path | None
) -> subprocess.CompletedProcess[bytes]:
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", *args]
    log.debug("ffmpeg %s: %s", stage, " ".join(cmd))
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False, cwd=cwd)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(
            f"ffmpeg {stage} ran past {timeout_s:.0f} s", input=input_name, stage=stage
        ) from exc
    except OSError as exc:
        raise MediaError(f"cannot start ffmpeg for {stage}: {exc}", stage=stage) from exc
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        tail = "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])
        target = f" ({input_name})" if input_name else ""
        raise MediaError(
            f"ffmpeg {stage} failed{target} with exit code {done.returncode}:\n{tail}",
            input=input_name,
            stage=stage,
            returncode=done.returncode,
        )
    return done


def run_ffmpeg(
    args: Sequence[str],
    *,
    stage: str,
    input_name: str = "",
    timeout_s: float = 3600.0,
    cwd: Path | None = None,
) -> str:
    """Run ffmpeg with ``args`` (no binary name) in ``cwd``; returns stderr or raises MediaError."""
    done = _run(args, stage=stage, input_name=input_name, timeout_s=timeout_s, cwd=cwd)
    return done.stderr.decode("utf-8", "replace")


def ffmpeg_output(
    args: Sequence[str], *, stage: str, input_name: str = "", timeout_s: float = 300.0
) -> bytes:
    """Run ffmpeg writing to ``-`` and return what it wrote to stdout (frames, PNG bytes)."""
    return _run(args, stage=stage, input_name=input_name, timeout_s=timeout_s, cwd=None).stdout


@contextmanager
def atomic_output(final: Path) -> Iterator[Path]:
    """A temp path beside ``final`` (same suffix) renamed onto it only when the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    temp = final.with_name(f".{final.stem}.{new_id('tmp_')}.part{final.suffix}")
    try:
        yield temp
        if not temp.is_file() or temp.stat().st_size == 0:
            raise MediaError(f"no output was written for {final.name}", input=str(final))
        os.replace(temp, final)
    finally:
        temp.unlink(missing_ok=True)
