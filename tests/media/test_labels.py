"""GB 45438 labels on files: PNG/JPEG metadata written and read back, the visible badge."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput, MediaError
from laotie.media import (
    MIN_TEXT_HEIGHT_RATIO,
    read_label,
    render_badge,
    write_image_label,
)


def solid_image(path: Path, colour: tuple[int, int, int]) -> Path:
    """A 400x300 single-colour image (format from the suffix)."""
    Image.new("RGB", (400, 300), colour).save(path)
    return path


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_image_label_round_trip_keeps_every_element(tmp_path: Path, suffix: str) -> None:
    image = solid_image(tmp_path / f"cover{suffix}", (10, 120, 200))
    label = new_label(producer="老铁工作室", reserved_code1="sig-1")
    write_image_label(image, label)
    found = read_label(image)
    assert found.format in {"png", "jpeg"}
    assert found.label == label
    assert Image.open(image).size == (400, 300)


def test_png_keeps_its_other_text_chunks(tmp_path: Path) -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "someone")
    path = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(path, pnginfo=info)
    write_image_label(path, new_label())
    assert Image.open(path).text["Author"] == "someone"


def test_unlabelled_and_unsupported_files(tmp_path: Path) -> None:
    plain = solid_image(tmp_path / "plain.jpg", (1, 2, 3))
    assert read_label(plain).label is None
    gif = solid_image(tmp_path / "anim.gif", (1, 2, 3))
    with pytest.raises(InvalidInput) as caught:
        write_image_label(gif, new_label())
    assert caught.value.field == "image"
    with pytest.raises(MediaError):
        read_label(tmp_path / "missing.png")


@pytest.mark.parametrize(("width", "height"), [(360, 640), (1080, 1920), (1920, 1080), (240, 240)])
def test_badge_text_is_at_least_five_percent_of_the_shortest_side(
    tmp_path: Path, width: int, height: int
) -> None:
    badge = render_badge(width, height, out=tmp_path / "badge.png")
    assert badge.text_height >= MIN_TEXT_HEIGHT_RATIO * min(width, height)
    image = Image.open(badge.path)
    assert image.mode == "RGBA"
    assert badge.x + badge.width < width and badge.y + badge.height < height
