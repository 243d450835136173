"""A merchant's product brief: what is sold, why, for how much, with which pictures."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from laotie.core.errors import InvalidInput

#: most images a brief may name
MAX_IMAGES = 12


class ProductBrief(BaseModel):
    """The brief as a merchant writes it (JSON); prices in integer fen."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    selling_points: list[str] = Field(min_length=1, max_length=6)
    price_fen: int | None = Field(default=None, ge=0, le=100_000_000)
    original_price_fen: int | None = Field(default=None, ge=0, le=100_000_000)
    images: list[Path] = Field(default_factory=list, max_length=MAX_IMAGES)
    call_to_action: str = Field(default="点击下方链接，马上抢购", min_length=1, max_length=40)
    brand: str = Field(default="", max_length=40)
    category: str = Field(default="", max_length=40)
    landing_url: str | None = Field(default=None, max_length=2000)
    music: Path | None = None


def load_brief(path: Path) -> ProductBrief:
    """Read a brief from JSON; relative image and music paths are taken from its folder."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"brief not found: {path}", field="brief", input=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"brief is not valid JSON: {path}: {exc}", field="brief") from exc
    return parse_brief(data, base=path.parent)


def parse_brief(data: object, *, base: Path | None = None) -> ProductBrief:
    """Validate a brief dict; ``base`` resolves relative file paths."""
    try:
        brief = ProductBrief.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "brief"
        raise InvalidInput(f"brief {where}: {first['msg']}", field=f"brief.{where}") from exc
    for point in brief.selling_points:
        if not point.strip() or len(point) > 60:
            raise InvalidInput(
                "selling points must be 1-60 characters", field="brief.selling_points", limit=60
            )
    if base is not None:
        images = [p if p.is_absolute() else base / p for p in brief.images]
        music = (
            brief.music if brief.music is None or brief.music.is_absolute() else base / brief.music
        )
        brief = brief.model_copy(update={"images": images, "music": music})
    return brief


def price_text(fen: int) -> str:
    """Yuan as spoken and shown in ads: 2990 -> "29.9", 3000 -> "30"."""
    whole, part = divmod(fen, 100)
    return f"{whole}" if part == 0 else f"{whole}.{part:02d}".rstrip("0")
