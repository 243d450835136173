"""A studio job's output files: which they are, and keeping them in the media object store.

Jobs render into a local folder (ffmpeg works on files); with ``LAOTIE_MEDIA_URL`` set, each
media job's outputs are then copied to ``studio/<job id>/<file name>`` in that store and the
result names them under ``objects``, so any API process can serve them
(``GET /v1/studio/jobs/{id}/objects/{name}``) without the disk of the worker that made them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from laotie.store.objects import ObjectStore


def output_paths(result: dict[str, Any]) -> list[str]:
    """The paths of the output files a job result names: its video, subtitles, files and the
    videos of an ad batch (in that order, without repeats)."""
    raw = [result.get("path"), result.get("srt_path"), *(result.get("files") or [])]
    for video in result.get("videos") or []:
        if isinstance(video, dict):
            raw.append(video.get("path"))
    return list(dict.fromkeys(v for v in raw if isinstance(v, str) and v))


def keep_outputs(media: ObjectStore, result: dict[str, Any], *, job_id: str) -> dict[str, Any]:
    """``result`` with ``objects``: file name -> key of each output file, copied into
    ``media`` under ``studio/<job_id>/``."""
    objects: dict[str, str] = {}
    for value in output_paths(result):
        path = Path(value)
        if not path.is_file():
            continue
        name = path.name if path.name not in objects else f"{len(objects)}-{path.name}"
        key = f"studio/{job_id}/{name}"
        media.put(key, path.read_bytes())
        objects[name] = key
    return {**result, "objects": objects}
