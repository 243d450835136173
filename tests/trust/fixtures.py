"""Self-made texts and media for the trust tests (no reference data needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from imageio_ffmpeg import get_ffmpeg_exe
from PIL import Image, ImageDraw

from laotie.core.aigc import new_label
from laotie.media import load_font, mp4_label_args, render_badge, write_image_label

#: an original passage in the register of the classical novels (written for these tests)
CLASSICAL = """第一回　石先生夜访青松观　柳公子独步白云溪

    却说那青松观在白云溪之北，四面青山环抱，观中住着一位石先生，年纪甚高，须发皆白。这一日天色将晚，只见山门外来了一个后生，背着一口长剑，风尘仆仆。石先生道：“你是何人？因何到此？”那后生道：“小人姓柳，名唤柳长风，自幼父母双亡，四海为家，今日特来拜师学艺。”
    石先生听了，甚是欢喜，便道：“原来如此。你既有此心，老夫也不推辞。只是学艺之事，须得一心一意，不可半途而废。”柳长风忙跪下拜了三拜，道：“弟子谨遵师命。”
    自此柳长风便在观中住下，每日天不亮便起来挑水劈柴，夜里又随石先生读书习字。如今不知不觉已过了三年，柳长风的剑法突飞猛进，观中众人无不称赞。石先生却道：“学无止境，你切不可自满。”柳长风道：“师父教训的是。”
    一日，山下来了一伙强人，为首的名唤黑旋风，手持两柄板斧，口口声声要那观中的宝物。柳长风提剑出门，与那黑旋风斗了数十回合，不分胜负。石先生在门内看了，捋须笑道：“此子果然不负老夫一片苦心。”正是：青山不改，绿水长流。毕竟那黑旋风性命如何，且听下回分解。
"""

#: plain modern prose (a product caption and a short diary), which no check may flag
MODERN = (
    "今天带大家做一道家常红烧肉，五花肉切块焯水，冰糖炒出糖色，加生抽老抽和八角，"
    "小火炖一个小时，出锅前大火收汁。肥而不腻，入口即化，配米饭特别香。"
    "周末和朋友去了郊外爬山，山顶的风很大，但是看到日落的那一刻觉得一切都值得。"
)


def scene(width: int, height: int, *, seed: int = 0, caption: str = "青山不改") -> Image.Image:
    """A synthetic frame: smooth colour waves and a line of Chinese text (no notice)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    frame = np.zeros((height, width, 3), np.uint8)
    for c in range(3):
        wave = np.sin(xx / rng.uniform(20, 80) + rng.uniform(0, 6)) * np.cos(
            yy / rng.uniform(20, 80)
        )
        frame[..., c] = (127 + 100 * wave).astype(np.uint8)
    image = Image.fromarray(frame)
    font = load_font(max(10, int(0.07 * min(width, height))))
    ImageDraw.Draw(image).text((width // 10, height // 2), caption, font=font, fill=(255, 255, 255))
    return image


def with_badge(image: Image.Image, tmp: Path) -> Image.Image:
    """The image with Studio II's visible "AI生成" badge drawn on it."""
    badge = render_badge(image.width, image.height, out=tmp / "badge.png")
    with Image.open(badge.path) as overlay:
        out = image.convert("RGBA")
        out.alpha_composite(overlay.convert("RGBA"), (badge.x, badge.y))
    return out.convert("RGB")


def labelled_image(path: Path, *, seed: int = 0) -> Path:
    """A Studio-labelled image: visible badge and the implicit AIGC label (PNG or JPEG)."""
    image = with_badge(scene(540, 960, seed=seed), path.parent)
    image.save(path)
    write_image_label(path, new_label(producer="laotie-studio"))
    return path


def stripped_copy(source: Path, target: Path) -> Path:
    """The same pixels without any metadata (what a re-encode by a scraper leaves)."""
    with Image.open(source) as image:
        Image.frombytes(image.mode, image.size, image.tobytes()).save(target)
    return target


def video(path: Path, *, badge: bool, label: bool, seed: int = 0, seconds: float = 2.0) -> Path:
    """A short H.264 video of a synthetic scene, optionally badged and/or labelled."""
    frame_path = path.with_suffix(".frame.png")
    image = scene(360, 640, seed=seed)
    if badge:
        image = with_badge(image, path.parent)
    image.save(frame_path)
    args = mp4_label_args(new_label(producer="laotie-studio")) if label else []
    command = [
        get_ffmpeg_exe(), "-v", "error", "-y", "-loop", "1", "-i", str(frame_path),
        "-t", str(seconds), "-r", "10", "-vf", "format=yuv420p", "-c:v", "libx264",
        "-preset", "ultrafast", *args, str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    frame_path.unlink()
    return path


def strip_video(source: Path, target: Path) -> Path:
    """A copy of a video with all container metadata removed (streams copied)."""
    command = [
        get_ffmpeg_exe(), "-v", "error", "-y", "-i", str(source), "-map_metadata", "-1",
        "-c", "copy", str(target),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return target
