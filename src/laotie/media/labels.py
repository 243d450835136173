"""GB 45438-2025 labels on media files: the visible notice, the spoken one, and metadata.

Explicit: a visible "AI生成" badge whose text height is at least 5% of the frame's shortest
side, kept for the whole video (the standard asks for >= 2 s from the start); audio-only output
starts with a spoken notice. Implicit: the ``AIGC`` metadata field holding the seven label
elements — an MP4/M4A global tag (ffmpeg ``-metadata`` with ``-movflags use_metadata_tags``),
a PNG ``iTXt`` chunk, a JPEG EXIF ``UserComment``. ``read_label`` returns what a file carries.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from laotie.core.aigc import EXPLICIT_NOTICE_SHORT, METADATA_FIELD, AigcLabel
from laotie.core.errors import InvalidInput, MediaError
from laotie.core.ids import new_id
from laotie.media.ffmpeg import atomic_output, run_ffmpeg
from laotie.media.fonts import font_for_glyph_height
from laotie.media.info import read_metadata

#: the standard's floor for the notice's text height, as a share of the shortest side
MIN_TEXT_HEIGHT_RATIO = 0.05
#: what laotie draws (a margin above the floor so scaling never takes it under)
TEXT_HEIGHT_RATIO = 0.06
#: EXIF tag numbers: the Exif sub-IFD and its UserComment field
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286
_VIDEO_SUFFIXES = {".mp4", ".m4a", ".mov", ".m4v"}


@dataclass(frozen=True)
class LabelBadge:
    """The rendered visible notice: an RGBA PNG and where it goes on the frame (pixels)."""

    path: Path
    x: int
    y: int
    width: int
    height: int
    text_height: int


@dataclass(frozen=True)
class FileLabel:
    """What a file carries: its format, the parsed implicit label (if any) and the raw text."""

    path: Path
    format: str
    label: AigcLabel | None
    raw: str | None

    @property
    def has_label(self) -> bool:
        """True when the file carries a parseable ``AIGC`` label."""
        return self.label is not None


def notice_text_height(width: int, height: int) -> int:
    """Pixel height laotie gives the notice text on a ``width`` x ``height`` frame."""
    return max(8, math.ceil(TEXT_HEIGHT_RATIO * min(width, height)))


def render_badge(
    width: int, height: int, *, out: Path, text: str = EXPLICIT_NOTICE_SHORT
) -> LabelBadge:
    """Draw the visible notice for a frame size, top-left, as an RGBA PNG at ``out``."""
    target = notice_text_height(width, height)
    font = font_for_glyph_height(text, target)
    left, top, right, bottom = (round(v) for v in font.getbbox(text))
    pad_x, pad_y = max(4, target // 2), max(3, target // 3)
    badge_w, badge_h = right - left + 2 * pad_x, bottom - top + 2 * pad_y
    image = Image.new("RGBA", (badge_w, badge_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (0, 0, badge_w - 1, badge_h - 1), radius=max(2, badge_h // 4), fill=(0, 0, 0, 170)
    )
    draw.text((pad_x - left, pad_y - top), text, font=font, fill=(255, 255, 255, 255))
    image.save(out)
    margin = max(4, round(0.03 * min(width, height))) // 2 * 2  # even: 4:2:0 chroma grid
    return LabelBadge(out, margin, margin, badge_w, badge_h, bottom - top)


def label_picture(source: Path, *, out: Path, label: AigcLabel) -> Path:
    """Save ``source`` as PNG ``out`` with the visible badge drawn on and the label embedded."""
    try:
        with Image.open(source) as opened:
            picture = opened.convert("RGB")
    except (OSError, ValueError) as exc:
        raise MediaError(f"cannot read image {source}: {exc}", input=str(source)) from exc
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    badge_path = out.with_name(f".{new_id('badge_')}.png")
    temp = out.with_name(f".{out.stem}.{new_id('tmp_')}.png")
    try:
        badge = render_badge(picture.width, picture.height, out=badge_path)
        with Image.open(badge.path) as mark:
            picture.paste(mark, (badge.x, badge.y), mark)
        picture.save(temp, format="PNG")
        write_image_label(temp, label)
        os.replace(temp, out)
    finally:
        badge_path.unlink(missing_ok=True)
        temp.unlink(missing_ok=True)
    return out


def mp4_label_args(label: AigcLabel, *, faststart: bool = True) -> list[str]:
    """ffmpeg output options that write the ``AIGC`` tag into an MP4/M4A's global metadata."""
    value = json.dumps(label.to_dict(), ensure_ascii=False, separators=(",", ":"))
    flags = "+use_metadata_tags" + ("+faststart" if faststart else "")
    return ["-metadata", f"{METADATA_FIELD}={value}", "-movflags", flags]


def _replace_atomically(path: Path, image: Image.Image, **save_args: Any) -> None:
    temp = path.with_name(f".{path.stem}.{new_id('tmp_')}{path.suffix}")
    try:
        image.save(temp, **save_args)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_image_label(path: Path, label: AigcLabel) -> Path:
    """Embed the ``AIGC`` label in a PNG (iTXt chunk) or JPEG (EXIF UserComment) in place."""
    path = Path(path)
    value = json.dumps(label.to_dict(), ensure_ascii=False, separators=(",", ":"))
    try:
        image = Image.open(path)
        image.load()
    except (OSError, ValueError) as exc:
        raise MediaError(f"cannot read image {path}: {exc}", input=str(path)) from exc
    if image.format == "PNG":
        info = PngInfo()
        for key, text in getattr(image, "text", {}).items():
            if key != METADATA_FIELD:
                info.add_itxt(key, text)
        info.add_itxt(METADATA_FIELD, value)
        _replace_atomically(path, image, format="PNG", pnginfo=info)
    elif image.format == "JPEG":
        exif = image.getexif()
        exif.get_ifd(_EXIF_IFD)[_USER_COMMENT] = b"UNICODE\x00" + value.encode("utf-16-le")
        _replace_atomically(path, image, format="JPEG", quality=92, exif=exif.tobytes())
    else:
        raise InvalidInput(
            f"cannot label {image.format} images: {path}", field="image", limit=("PNG", "JPEG")
        )
    return path


def write_file_label(path: Path, label: AigcLabel) -> Path:
    """Embed ``label`` in a PNG, JPEG, MP4, M4A or MOV file in place (video: a stream copy)."""
    path = Path(path)
    if path.suffix.lower() not in _VIDEO_SUFFIXES:
        return write_image_label(path, label)
    with atomic_output(path) as temp:
        run_ffmpeg(
            ["-i", str(path), "-map", "0", "-map_metadata", "0", "-c", "copy",
             *mp4_label_args(label), str(temp)],
            stage="write label",
            input_name=str(path),
            timeout_s=300,
        )  # fmt: skip
    return path


def _decode_user_comment(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    code, body = raw[:8], raw[8:]
    if code.startswith(b"UNICODE"):
        if body[:1] == b"\x00":
            return body.decode("utf-16-be", "replace")
        return body.decode("utf-16-le", "replace")
    return body.decode("utf-8", "replace").rstrip("\x00")


def _parse(raw: str | None) -> AigcLabel | None:
    if not raw:
        return None
    try:
        return AigcLabel.from_json(raw)
    except InvalidInput:
        return None


def read_label(path: Path | str) -> FileLabel:
    """The implicit ``AIGC`` label a PNG, JPEG, MP4 or M4A file carries (``label`` None if none)."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"file not found: {path}", input=str(path))
    suffix = path.suffix.lower()
    if suffix in _VIDEO_SUFFIXES:
        raw = read_metadata(path).get(METADATA_FIELD)
        return FileLabel(path, suffix.lstrip("."), _parse(raw), raw)
    try:
        with Image.open(path) as image:
            image_format = (image.format or "").lower()
            if image_format == "png":
                raw = getattr(image, "text", {}).get(METADATA_FIELD)
            elif image_format in {"jpeg", "mpo"}:
                comment = image.getexif().get_ifd(_EXIF_IFD).get(_USER_COMMENT)
                raw = _decode_user_comment(comment) if comment else None
            else:
                raw = None
    except (OSError, ValueError):
        raw_tags = read_metadata(path)
        raw = raw_tags.get(METADATA_FIELD)
        return FileLabel(path, suffix.lstrip("."), _parse(raw), raw)
    return FileLabel(path, image_format, _parse(raw), raw)
