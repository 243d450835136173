"""The cover of a made video: its first visual, the title drawn large, badge and label."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageOps

from laotie.core.aigc import AigcLabel
from laotie.media import extract_frame, label_picture, load_font
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.subtitles import wrap_cjk
from laotie.studio.render.visuals import is_clip


def make_cover(
    visual: Path, *, title: str, video: VideoFormat, out: Path, label: AigcLabel
) -> Path:
    """Write a labelled PNG cover at ``out``: ``visual`` (a frame of it for a clip) fitted to
    the frame, darkened towards the middle, the title in large outlined rows."""
    source = visual
    if is_clip(visual):
        source = extract_frame(visual, at_s=0.5, out=out.with_name(f".{out.stem}_frame.png"))
    with Image.open(source) as opened:
        image = ImageOps.fit(
            ImageOps.exif_transpose(opened).convert("RGB"), (video.width, video.height)
        )
    # a band of shade behind the title keeps it readable on any picture
    middle = np.abs(np.linspace(-1, 1, video.height, dtype=np.float32))[:, None]
    shade = 0.45 + 0.55 * np.clip(middle * 1.6, 0, 1)
    pixels = (np.asarray(image, np.float32) * shade[:, :, None]).astype(np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    size = max(24, round(video.shortest_side * 0.11))
    rows = wrap_cjk(title, max_chars=max(2, int(video.width * 0.84 / size)))[:3]
    font = load_font(size)
    y = round(video.height * 0.42 - len(rows) * size * 0.65)
    for row in rows:
        draw.text(
            (video.width // 2, y),
            row,
            font=font,
            fill=(255, 236, 120),
            anchor="mt",
            stroke_width=max(2, size // 12),
            stroke_fill=(0, 0, 0),
        )
        y += round(size * 1.3)
    plain = out.with_name(f".{out.stem}_plain.png")
    image.save(plain, format="PNG", compress_level=1)
    try:
        return label_picture(plain, out=out, label=label)
    finally:
        plain.unlink(missing_ok=True)
        if source != visual:
            source.unlink(missing_ok=True)
