"""Ad videos: copy x cover x template x voice combinations, each rendered in one pass."""

from __future__ import annotations

import itertools
import random
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from laotie.core.aigc import new_label
from laotie.core.errors import InvalidInput
from laotie.media import label_picture
from laotie.studio.ad.brief import ProductBrief, price_text
from laotie.studio.ad.copywriter import AdCopy
from laotie.studio.render.cards import title_card
from laotie.studio.render.compose import Composition, RenderResult, Shot, render
from laotie.studio.render.formats import VideoFormat
from laotie.studio.render.narrate import Progress, _quiet, scene_weights
from laotie.studio.render.script import NarrationScript, Scene
from laotie.studio.render.visuals import check_visual
from laotie.studio.tts.base import TtsEngine, synthesize_narration

#: cover styles (card palettes) and layouts an ad can take
COVERS = ("ember", "dusk", "ocean", "forest")
TEMPLATES = ("cover-first", "images-first", "price-card")
#: most variants one request may render
MAX_VARIANTS = 24


@dataclass(frozen=True)
class AdVoice:
    """A voice for ads: a name, a speaking-rate factor and (offline engine) a pitch 0-99."""

    name: str
    speed: float = 1.0
    pitch: int = 50


VOICES = (AdVoice("稳重", 0.95, 38), AdVoice("活泼", 1.12, 66))


@dataclass(frozen=True)
class AdVariant:
    """One programmatic combination (indices into copies, covers, templates, voices)."""

    number: int
    copy: int
    cover: int
    template: int
    voice: int

    def as_dict(self) -> dict[str, int]:
        """The combination as the ads area stores a creative's variant."""
        return {
            "copy": self.copy,
            "cover": self.cover,
            "template": self.template,
            "voice": self.voice,
        }


@dataclass(frozen=True)
class AdVideo:
    """A rendered ad: its combination, copy, cover name, template, voice and the video."""

    variant: AdVariant
    copy: AdCopy
    cover: str
    template: str
    voice: AdVoice
    result: RenderResult


def plan_variants(
    copies: int,
    *,
    count: int,
    covers: int = len(COVERS),
    templates: int = len(TEMPLATES),
    voices: int = len(VOICES),
    seed: int = 0,
) -> list[AdVariant]:
    """``count`` distinct combinations, spread so consecutive variants differ in every part."""
    if not 1 <= count <= MAX_VARIANTS:
        raise InvalidInput(
            f"variants must be 1-{MAX_VARIANTS}", field="variants", limit=MAX_VARIANTS
        )
    combos = list(itertools.product(range(copies), range(covers), range(templates), range(voices)))
    if count > len(combos):
        raise InvalidInput(
            f"only {len(combos)} combinations exist", field="variants", limit=len(combos)
        )
    # a diagonal walk first (every part changes each step), then the rest in a seeded order
    diagonal = [(i % copies, i % covers, i % templates, i % voices) for i in range(len(combos))]
    ordered = list(dict.fromkeys(diagonal))
    rest = [c for c in combos if c not in set(ordered)]
    random.Random(seed).shuffle(rest)
    chosen = (ordered + rest)[:count]
    return [AdVariant(n, *combo) for n, combo in enumerate(chosen, start=1)]


def _layout(
    brief: ProductBrief,
    copy: AdCopy,
    template: str,
    cover_card: Path,
    *,
    video: VideoFormat,
    palette: str,
    workdir: Path,
    tag: str,
) -> tuple[NarrationScript, list[Path]]:
    """Scenes (sentence groups) and one visual per scene for a template."""
    images = list(brief.images)
    points = list(copy.points)
    if images:
        groups = [points[i :: len(images)] for i in range(min(len(images), len(points)))]
        point_visuals = images[: len(groups)]
    else:
        groups = [[p] for p in points]
        point_visuals = [
            title_card(
                p.rstrip("。！"),
                video,
                out=workdir / f"{tag}_point{i}.png",
                palette=COVERS[(COVERS.index(palette) + i + 1) % len(COVERS)],
            )
            for i, p in enumerate(points)
        ]
    closing = [s for s in (copy.price_line, copy.call_to_action) if s]
    price_title, price_sub = brief.name, copy.call_to_action.rstrip("。")
    if brief.price_fen is not None:
        price_title = f"¥{price_text(brief.price_fen)}"
        if brief.original_price_fen and brief.original_price_fen > brief.price_fen:
            price_sub = f"原价¥{price_text(brief.original_price_fen)}\n{price_sub}"
    price_card = title_card(
        price_title, video, out=workdir / f"{tag}_price.png", subtitle=price_sub, palette=palette
    )
    scenes: list[tuple[list[str], Path]]
    if template == "cover-first":
        scenes = [
            ([copy.hook], cover_card),
            *zip(groups, point_visuals, strict=True),
            (closing, price_card),
        ]
    elif template == "images-first":
        first, *others = list(zip(groups, point_visuals, strict=True))
        scenes = [([copy.hook, *first[0]], first[1]), *others, (closing, cover_card)]
    else:
        scenes = [([copy.hook], cover_card), *zip(groups, point_visuals, strict=True)]
        scenes += [([copy.price_line], price_card)] if copy.price_line else []
        scenes += [([copy.call_to_action], cover_card)]
    kept = [(tuple(s for s in sentences if s), visual) for sentences, visual in scenes]
    kept = [(s, v) for s, v in kept if s]
    script = NarrationScript(copy.title, tuple(Scene(str(i), s) for i, (s, _) in enumerate(kept)))
    return script, [v for _, v in kept]


def make_ads(
    brief: ProductBrief,
    copies: Sequence[AdCopy],
    *,
    out_dir: Path,
    count: int,
    video: VideoFormat,
    engine_for: Callable[[AdVoice], TtsEngine],
    voices: Sequence[AdVoice] = VOICES,
    producer: str = "laotie",
    progress: Progress = _quiet,
    seed: int = 0,
) -> list[AdVideo]:
    """Render ``count`` labelled ad videos into ``out_dir`` (``ad_01.mp4`` ...)."""
    if not copies:
        raise InvalidInput("no ad copy to render", field="copies")
    for image in brief.images:
        check_visual(image)
    variants = plan_variants(len(copies), count=count, voices=len(voices), seed=seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="laotie_ads_"))
    made: list[AdVideo] = []
    try:
        for variant in variants:
            progress((variant.number - 1) / len(variants), f"ad {variant.number}/{len(variants)}")
            copy, cover = copies[variant.copy], COVERS[variant.cover]
            template, voice = TEMPLATES[variant.template], voices[variant.voice]
            work = scratch / f"ad_{variant.number:02d}"
            work.mkdir()
            cover_card = title_card(
                copy.title,
                video,
                out=work / "cover.png",
                subtitle=brief.brand or brief.category,
                palette=cover,
            )
            script, visuals = _layout(
                brief, copy, template, cover_card, video=video, palette=cover, workdir=work, tag="v"
            )
            narration = synthesize_narration(
                engine_for(voice), script.sentences, workdir=work / "voice"
            )
            weights = scene_weights(script, narration)
            result = render(
                Composition(
                    video=video,
                    shots=tuple(Shot(v, w) for v, w in zip(visuals, weights, strict=True)),
                    narration=narration,
                    label=new_label(producer=producer),
                    music=brief.music,
                ),
                out=out_dir / f"ad_{variant.number:02d}.mp4",
                workdir=work,
            )
            label_picture(
                cover_card, out=out_dir / f"ad_{variant.number:02d}_cover.png", label=result.label
            )
            made.append(AdVideo(variant, copy, cover, template, voice, result))
        progress(1.0, "done")
        return made
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
