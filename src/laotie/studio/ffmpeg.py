"""Running the ffmpeg binary that imageio-ffmpeg ships; its failures become ``MediaError``."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from laotie.core.errors import MediaError
from laotie.core.ids import new_id

log = logging.getLogger(__name__)

#: lines of ffmpeg's stderr kept in a ``MediaError`` message
STDERR_TAIL_LINES = 12


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary (imageio-ffmpeg's, or ``LAOTIE_FFMPEG`` when set)."""
    override = os.environ.get("LAOTIE_FFMPEG")
    if override:
        return override
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(
    args: Sequence[str],
    *,
    stage: str,
    input_name: str = "",
    timeout_s: float = 3600.0,
    cwd: Path | None = None,
) -> str:
    """Run ffmpeg with ``args`` (no binary name) in ``cwd``; returns stderr or raises MediaError."""
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
    stderr = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        tail = "\n".join(stderr.strip().splitlines()[-STDERR_TAIL_LINES:])
        target = f" ({input_name})" if input_name else ""
        raise MediaError(
            f"ffmpeg {stage} failed{target} with exit code {done.returncode}:\n{tail}",
            input=input_name,
            stage=stage,
            returncode=done.returncode,
        )
    return stderr


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
