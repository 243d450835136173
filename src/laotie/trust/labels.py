"""AIGC label verification on upload (platform duties of the AIGC labelling measures).

Order of evidence, strongest first:

1. an implicit label (the ``AIGC`` metadata field) in the file, or supplied with a text item
   -> ``confirmed`` when its ``Label`` says generated ("1");
2. the uploader declares the content AI-generated -> ``declared``;
3. an explicit label or another trace (a visible "AI生成" notice on the picture, a notice
   in the text, generator names in the filename or in other metadata) -> ``suspected``.

The platform then writes its propagation elements (``ContentPropagator``, ``PropagateID``)
into the label; the producer's elements are kept as found, never stripped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from laotie.core.aigc import (
    LABEL_OF_STATUS,
    STATUS_OF_LABEL,
    AigcLabel,
    aigc_notice,
    with_propagator,
)
from laotie.core.errors import InvalidInput, MediaError
from laotie.core.kinds import AigcStatus
from laotie.media import read_label, read_metadata, write_file_label
from laotie.trust.notice import image_notice, video_notice
from laotie.trust.phash import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from laotie.trust.textnotice import find_text_notice

_RANK = {
    AigcStatus.NONE: 0,
    AigcStatus.SUSPECTED: 1,
    AigcStatus.DECLARED: 2,
    AigcStatus.CONFIRMED: 3,
}
#: a notice written in a filename or a metadata value (label-like statements in a title,
#: caption or body are found by ``textnotice.find_text_notice``)
TEXT_NOTICE = re.compile(r"AI\s*生成|人工智能生成|AIGC|由\s*AI\s*(?:创作|制作|合成)", re.I)
#: generator names that, in a filename or in non-AIGC metadata, are a trace of generation
GENERATOR_TRACE = re.compile(
    r"midjourney|stable[\s_-]?diffusion|dall[\s_-]?e|sora|kling|可灵|即梦|jimeng|runway|"
    r"comfyui|novelai|文心一格|通义万相|hailuo|海螺|pika|flux",
    re.I,
)
#: PNG text chunks that image generators write (prompt and settings)
_GENERATOR_CHUNKS = ("parameters", "prompt", "workflow", "Dream", "sd-metadata")


@dataclass(frozen=True)
class LabelVerdict:
    """What label verification found and what the platform writes back."""

    status: AigcStatus
    notice: str | None
    found: dict[str, str] | None
    label: dict[str, str] | None
    evidence: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "status": str(self.status),
            "notice": self.notice,
            "found": self.found,
            "label": self.label,
            "evidence": list(self.evidence),
        }


def read_file_label(path: Path) -> AigcLabel | None:
    """The implicit label a media file carries (Studio's reader), or None."""
    suffix = path.suffix.lower()
    if suffix not in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
        return None
    return read_label(path).label


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)


def embedded_text_label(text: str) -> dict[str, Any] | None:
    """An implicit label a text document carries: a JSON document's top-level ``AIGC`` field,
    or an ``AIGC: {...}`` line in Markdown front matter (as Studio's exports write them).
    A malformed label counts as none."""
    found = _embedded(text)
    if found is None:
        return None
    try:
        return AigcLabel.from_dict(found).to_dict()
    except InvalidInput:
        return None


def _embedded(text: str) -> dict[str, Any] | None:
    stripped = text.lstrip("\ufeff")
    if stripped.lstrip().startswith("{"):
        try:
            data = json.loads(stripped)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("AIGC"), dict):
            return dict(data["AIGC"])
    front = _FRONT_MATTER.match(stripped)
    if front:
        for line in front.group(1).splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "AIGC":
                try:
                    found = json.loads(value.strip())
                except ValueError:
                    return None
                return dict(found) if isinstance(found, dict) else None
    return None


def read_docx(path: Path) -> tuple[str, dict[str, Any] | None]:
    """A DOCX's paragraph text and the implicit label in its core properties' comments."""
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for bad files
        raise InvalidInput(f"{path} is not a readable DOCX: {exc}", field="file") from exc
    text = "\n".join(p.text for p in document.paragraphs)
    comments = document.core_properties.comments or ""
    label = embedded_text_label(comments) if comments.strip().startswith("{") else None
    return text, label


def _metadata_traces(path: Path) -> list[str]:
    suffix = path.suffix.lower()
    traces = []
    if suffix in IMAGE_SUFFIXES:
        try:
            with Image.open(path) as image:
                chunks = dict(getattr(image, "text", {}) or {})
                software = str(image.getexif().get(0x0131, ""))
        except (OSError, UnidentifiedImageError) as exc:
            raise MediaError(f"cannot read image {path}: {exc}", input=str(path)) from exc
        for key in _GENERATOR_CHUNKS:
            if key in chunks:
                traces.append(f"image metadata chunk {key!r} written by an image generator")
        for text in [software, *(v for k, v in chunks.items() if k != "AIGC")]:
            if GENERATOR_TRACE.search(text or ""):
                traces.append(f"generator named in image metadata: {text[:80]!r}")
    elif suffix in VIDEO_SUFFIXES:
        for key, value in read_metadata(path).items():
            if key != "AIGC" and (GENERATOR_TRACE.search(value) or TEXT_NOTICE.search(value)):
                traces.append(f"video metadata {key}={value[:80]!r}")
    return traces


def _visible_notice(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        match = image_notice(path)
    elif suffix in VIDEO_SUFFIXES:
        match = video_notice(path)
    else:
        return None
    if not match.found:
        return None
    return (
        f"visible AI生成 notice at x={match.x} y={match.y} "
        f"({match.width}x{match.height} px, correlation {match.score:.2f})"
    )


def verify(
    *,
    media_path: Path | None = None,
    texts: tuple[str, ...] = (),
    supplied_label: dict[str, Any] | None = None,
    declared: bool = False,
    filename: str | None = None,
    propagator: str,
    propagate_id: str,
) -> LabelVerdict:
    """Decide the AIGC status of an upload and the label the platform writes back."""
    evidence: list[str] = []
    found: AigcLabel | None = None
    if supplied_label:
        try:
            found = AigcLabel.from_dict(supplied_label)
        except InvalidInput as exc:
            raise InvalidInput(
                f"aigc_label: {exc.message}", field="aigc_label", limit=exc.limit
            ) from exc
        evidence.append("implicit label supplied with the item")
    if media_path is not None:
        in_file = read_file_label(media_path)
        if in_file is not None:
            found = in_file
            evidence.append(f"implicit AIGC label in {media_path.suffix.lstrip('.')} metadata")
    status = AigcStatus.NONE
    if found is not None:
        status = STATUS_OF_LABEL[found.Label]
    if declared and _RANK[AigcStatus.DECLARED] > _RANK[status]:
        status = AigcStatus.DECLARED
        evidence.append("uploader declared AI-generated content")
    traces = _traces(media_path, texts, filename)
    evidence.extend(traces)
    if traces and status == AigcStatus.NONE:
        status = AigcStatus.SUSPECTED
    label = _platform_label(found, status, propagator=propagator, propagate_id=propagate_id)
    return LabelVerdict(
        status=status,
        notice=aigc_notice(status),
        found=found.to_dict() if found else None,
        label=label.to_dict() if label else None,
        evidence=tuple(evidence),
    )


def _traces(media_path: Path | None, texts: tuple[str, ...], filename: str | None) -> list[str]:
    traces = []
    for text in texts:
        notice = find_text_notice(text or "")
        if notice:
            traces.append(
                f"explicit notice in text: {notice.phrase!r} at {notice.start} ({notice.rule})"
            )
    if filename and (GENERATOR_TRACE.search(filename) or TEXT_NOTICE.search(filename)):
        traces.append(f"generator or notice named in the filename {filename!r}")
    if media_path is not None:
        visible = _visible_notice(media_path)
        if visible:
            traces.append(visible)
        traces.extend(_metadata_traces(media_path))
    return traces


def _platform_label(
    found: AigcLabel | None, status: AigcStatus, *, propagator: str, propagate_id: str
) -> AigcLabel | None:
    if found is not None:
        return with_propagator(found, propagator, propagate_id)
    if status == AigcStatus.NONE:
        return None
    return AigcLabel(
        Label=LABEL_OF_STATUS[status],
        ContentProducer="",
        ProduceID="",
        ContentPropagator=propagator,
        PropagateID=propagate_id,
    )


def write_label(path: Path, label: dict[str, str]) -> None:
    """Write the platform's label into a stored media file in place (MP4, PNG, JPEG)."""
    if path.suffix.lower() in {".png", ".jpg", ".jpeg", ".mp4", ".m4a", ".mov", ".m4v"}:
        write_file_label(path, AigcLabel.from_dict(label))


def label_json(label: dict[str, str] | None) -> str:
    """The label as the compact ``{"AIGC": {...}}`` JSON written into metadata ('' if none)."""
    if not label:
        return ""
    return json.dumps({"AIGC": label}, ensure_ascii=False, separators=(",", ":"))
