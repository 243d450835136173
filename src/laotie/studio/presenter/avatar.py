"""Presenter sprites: a drawn default presenter, or a user's portrait with a found face.

A sprite set is eight RGBA PNGs — four mouth openings, eyes open or shut — drawn once with
Pillow; the video then just switches between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps, UnidentifiedImageError
from scipy import ndimage

from laotie.core.errors import InvalidInput, MediaError
from laotie.studio.presenter.motion import MOUTH_LEVELS

#: canvas the default presenter is drawn on before scaling (pixels)
_CANVAS = (600, 800)
SKIN = (246, 208, 178)
#: smallest face, as a share of the portrait's area, that counts as found
MIN_FACE_SHARE = 0.02


@dataclass(frozen=True)
class FaceBox:
    """Where a face is in a portrait (pixels): its box, eye line, mouth centre and skin colour."""

    left: int
    top: int
    right: int
    bottom: int
    skin: tuple[int, int, int]

    @property
    def width(self) -> int:
        """Box width in pixels."""
        return self.right - self.left

    @property
    def height(self) -> int:
        """Box height in pixels."""
        return self.bottom - self.top


@dataclass(frozen=True)
class SpriteSet:
    """The eight sprites and their common size in pixels."""

    paths: dict[tuple[int, bool], Path]
    width: int
    height: int
    #: the face (head) inside a sprite: left, top, right, bottom in sprite pixels
    face: tuple[int, int, int, int] = (0, 0, 0, 0)

    def sprite(self, level: int, eyes_closed: bool) -> Path:
        """The sprite for a mouth level and eye state."""
        return self.paths[(level, eyes_closed)]


#: the drawn presenter's head (ears to hair to chin) on the unscaled canvas
_DEFAULT_HEAD = (110, 120, 490, 520)


def _draw_default(level: int, eyes_closed: bool) -> Image.Image:
    width = _CANVAS[0]
    image = Image.new("RGBA", _CANVAS, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    cx = width // 2
    # body and collar
    draw.rounded_rectangle((70, 560, 530, 900), radius=120, fill=(48, 92, 168, 255))
    draw.polygon([(cx - 70, 560), (cx, 650), (cx + 70, 560)], fill=(245, 245, 250, 255))
    draw.rectangle((cx - 45, 470, cx + 45, 575), fill=SKIN)
    # head, ears, hair
    draw.ellipse((cx - 190, 300, cx - 140, 400), fill=SKIN)
    draw.ellipse((cx + 140, 300, cx + 190, 400), fill=SKIN)
    draw.ellipse((cx - 160, 150, cx + 160, 520), fill=SKIN)
    draw.chord((cx - 172, 120, cx + 172, 380), start=180, end=360, fill=(40, 30, 28, 255))
    draw.pieslice((cx - 172, 130, cx + 40, 330), start=180, end=300, fill=(40, 30, 28, 255))
    # eyebrows
    for side in (-1, 1):
        ex = cx + side * 70
        draw.line((ex - 32, 268, ex + 32, 262 if side < 0 else 268), fill=(50, 36, 30), width=9)
        if eyes_closed:
            draw.arc((ex - 30, 295, ex + 30, 335), start=10, end=170, fill=(50, 36, 30), width=7)
        else:
            draw.ellipse((ex - 30, 292, ex + 30, 336), fill=(255, 255, 255))
            draw.ellipse((ex - 15, 298, ex + 15, 330), fill=(58, 40, 30))
            draw.ellipse((ex - 5, 304, ex + 4, 313), fill=(255, 255, 255))
    # nose and cheeks
    draw.arc((cx - 14, 330, cx + 14, 390), start=60, end=120, fill=(200, 150, 120), width=5)
    for side in (-1, 1):
        draw.ellipse(
            (cx + side * 105 - 28, 380, cx + side * 105 + 28, 410), fill=(240, 160, 150, 255)
        )
    _draw_mouth(draw, cx, 430, width=84, level=level)
    return image


def _draw_mouth(draw: ImageDraw.ImageDraw, cx: int, cy: int, *, width: int, level: int) -> None:
    half = width // 2
    if level == 0:
        draw.arc(
            (cx - half, cy - 20, cx + half, cy + 14),
            start=20,
            end=160,
            fill=(150, 50, 50),
            width=max(3, width // 14),
        )
        return
    open_px = round(width * (0.16 + 0.22 * level))
    box = (cx - half, cy - open_px // 3, cx + half, cy + open_px * 2 // 3)
    draw.ellipse(box, fill=(110, 24, 30), outline=(170, 60, 60), width=max(2, width // 20))
    teeth = (cx - half * 2 // 3, box[1] + 2, cx + half * 2 // 3, box[1] + max(3, open_px // 5))
    draw.rectangle(teeth, fill=(250, 250, 250))


def default_sprites(height_px: int, *, workdir: Path) -> SpriteSet:
    """The drawn presenter at ``height_px`` tall, all eight sprites written to ``workdir``."""
    scale = height_px / _CANVAS[1]
    size = (max(2, round(_CANVAS[0] * scale)), max(2, height_px))
    paths = {}
    for level in range(MOUTH_LEVELS):
        for closed in (False, True):
            image = _draw_default(level, closed).resize(size, Image.Resampling.LANCZOS)
            path = workdir / f"presenter_m{level}_e{int(closed)}.png"
            image.save(path, compress_level=1)
            paths[(level, closed)] = path
    head = tuple(round(v * scale) for v in _DEFAULT_HEAD)
    return SpriteSet(paths, *size, face=(head[0], head[1], head[2], head[3]))


def _load_portrait(path: Path) -> Image.Image:
    if not Path(path).is_file():
        raise InvalidInput(f"avatar image not found: {path}", field="avatar", input=str(path))
    try:
        with Image.open(path) as image:
            image.load()
            return ImageOps.exif_transpose(image).convert("RGB")
    except UnidentifiedImageError as exc:
        raise InvalidInput(f"avatar is not a supported image: {path}", field="avatar") from exc
    except OSError as exc:
        raise MediaError(f"cannot read avatar {path}: {exc}", input=str(path)) from exc


def find_face(image: Image.Image) -> FaceBox:
    """The largest skin-toned, face-shaped region; ``InvalidInput`` when there is none."""
    small = image.copy()
    small.thumbnail((320, 320))
    ycc = np.asarray(small.convert("YCbCr"), dtype=np.int16)
    y, cb, cr = ycc[..., 0], ycc[..., 1], ycc[..., 2]
    skin = (y > 60) & (cb >= 80) & (cb <= 135) & (cr >= 135) & (cr <= 180)
    skin = ndimage.binary_opening(skin, iterations=2)
    skin = ndimage.binary_fill_holes(skin)
    labels, _ = ndimage.label(skin)
    best: tuple[float, slice, slice, int] | None = None
    for index, (rows, cols) in enumerate(ndimage.find_objects(labels), start=1):
        area = int((labels[rows, cols] == index).sum())
        height, width = rows.stop - rows.start, cols.stop - cols.start
        share = area / skin.size
        fill = area / max(1, height * width)
        if share < MIN_FACE_SHARE or fill < 0.45 or not 0.7 <= height / width <= 2.4:
            continue
        if best is None or area > best[0]:
            best = (area, rows, cols, index)
    if best is None:
        raise InvalidInput(
            "no detectable face region in the avatar image (need a front-facing portrait)",
            field="avatar",
            limit=f"a face covering >= {MIN_FACE_SHARE:.0%} of the image",
        )
    _, rows, cols, index = best
    factor = image.width / small.width
    width = cols.stop - cols.start
    bottom = min(rows.stop, rows.start + round(width * 1.35))  # drop the neck
    colour = np.asarray(small.convert("RGB"))[labels == index].mean(axis=0)
    return FaceBox(
        round(cols.start * factor),
        round(rows.start * factor),
        round(cols.stop * factor),
        round(bottom * factor),
        (int(colour[0]), int(colour[1]), int(colour[2])),
    )


def portrait_sprites(avatar: Path, height_px: int, *, workdir: Path) -> SpriteSet:
    """Sprites from a user's portrait: the found face gets a moving mouth and eyelids."""
    portrait = _load_portrait(avatar)
    face = find_face(portrait)
    scale = height_px / portrait.height
    size = (max(2, round(portrait.width * scale) // 2 * 2), height_px)
    base = portrait.resize(size, Image.Resampling.LANCZOS).convert("RGBA")
    left, top = face.left * scale, face.top * scale
    fw, fh = face.width * scale, face.height * scale
    mouth_x, mouth_y, mouth_w = round(left + fw / 2), round(top + fh * 0.8), round(fw * 0.34)
    eyes_y, eye_w = round(top + fh * 0.43), round(fw * 0.2)
    paths = {}
    for level in range(MOUTH_LEVELS):
        for closed in (False, True):
            sprite = base.copy()
            draw = ImageDraw.Draw(sprite)
            if level:
                _draw_mouth(draw, mouth_x, mouth_y, width=mouth_w, level=level)
            if closed:
                for side in (0.3, 0.7):
                    ex = round(left + fw * side)
                    draw.ellipse(
                        (
                            ex - eye_w // 2,
                            eyes_y - eye_w // 4,
                            ex + eye_w // 2,
                            eyes_y + eye_w // 4,
                        ),
                        fill=face.skin,
                    )
                    draw.line(
                        (ex - eye_w // 2, eyes_y, ex + eye_w // 2, eyes_y),
                        fill=(60, 40, 35),
                        width=max(2, eye_w // 12),
                    )
            path = workdir / f"portrait_m{level}_e{int(closed)}.png"
            sprite.save(path, compress_level=1)
            paths[(level, closed)] = path
    box = (round(left), round(top), round(left + fw), round(top + fh))
    return SpriteSet(paths, *size, face=box)
