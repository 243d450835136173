"""Visual inputs: user images checked and fitted to the frame once, before the render."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from laotie.core.errors import InvalidInput, MediaError
from laotie.studio.render.formats import VideoFormat

#: still-image formats accepted as visuals (Pillow format names)
IMAGE_FORMATS = ("BMP", "GIF", "JPEG", "MPO", "PNG", "TIFF", "WEBP")
#: video clips accepted as visuals (e.g. a generated Kling clip)
CLIP_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv")
#: how much larger than the frame a still is prepared, room for the slow pan/zoom
MOTION_MARGIN = 0.08
#: EXIF tag of the camera orientation (1 = upright)
_ORIENTATION = 0x0112
#: largest image accepted (pixels), against decompression bombs
MAX_IMAGE_PIXELS = 80_000_000


def is_clip(path: Path) -> bool:
    """True when ``path`` names a video clip rather than a still image."""
    return path.suffix.lower() in CLIP_SUFFIXES


def check_visual(path: Path, *, field: str = "images") -> Path:
    """``path`` if it is a readable image or clip, else ``InvalidInput`` naming it."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"visual not found: {path}", field=field, input=str(path))
    if is_clip(path):
        return path
    try:
        with Image.open(path) as image:
            image_format = image.format
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise InvalidInput(f"image too large: {path}", field=field, limit=MAX_IMAGE_PIXELS)
    except UnidentifiedImageError as exc:
        raise InvalidInput(
            f"not a supported image: {path}", field=field, limit=IMAGE_FORMATS, input=str(path)
        ) from exc
    except OSError as exc:
        raise MediaError(f"cannot read image {path}: {exc}", input=str(path)) from exc
    if image_format not in IMAGE_FORMATS:
        raise InvalidInput(
            f"unsupported image format {image_format}: {path}", field=field, limit=IMAGE_FORMATS
        )
    return path


def _even(value: float) -> int:
    return max(2, round(value / 2) * 2)


def canvas_size(video: VideoFormat, *, margin: float = MOTION_MARGIN) -> tuple[int, int]:
    """Even width and height of the frame enlarged by ``margin`` (room to pan or zoom)."""
    return _even(video.width * (1 + margin)), _even(video.height * (1 + margin))


def needs_preparing(path: Path) -> bool:
    """True unless ffmpeg can scale the still itself: a single-frame PNG or an upright JPEG."""
    if is_clip(path):
        return False
    with Image.open(path) as image:
        if image.format == "PNG" and not getattr(image, "is_animated", False):
            return False
        if image.format == "JPEG":
            return image.getexif().get(_ORIENTATION, 1) != 1
    return True


def prepare_still(source: Path, video: VideoFormat, *, out: Path, margin: float) -> Path:
    """Cover-fit ``source`` to the frame enlarged by ``margin`` and save it as a PNG."""
    check_visual(source)
    width, height = canvas_size(video, margin=margin)
    try:
        with Image.open(source) as image:
            image.load()
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except OSError as exc:
        raise MediaError(f"cannot decode image {source}: {exc}", input=str(source)) from exc
    fitted = ImageOps.fit(upright, (width, height), method=Image.Resampling.LANCZOS)
    fitted.save(out, format="PNG", compress_level=1)
    return out
