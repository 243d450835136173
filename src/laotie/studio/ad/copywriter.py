"""Ad copy variants from a brief: offline templates, or an LLM asked for JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

from laotie.core.errors import ProviderResponseError
from laotie.studio.ad.brief import ProductBrief, price_text
from laotie.studio.providers.llm import LLMProvider
from laotie.studio.render.subtitles import shorten

_HOOKS = (
    "{name}来了！{point}",
    "老铁们注意了，{name}今天有福利！",
    "还在找好用的{category}？看看{name}！",
    "{brand}{name}，{point}",
)
_TITLES = ("{name}", "{point}", "{price_title}", "{brand}{name}")


@dataclass(frozen=True)
class AdCopy:
    """One copy variant: the cover title and the sentences the voice reads."""

    title: str
    hook: str
    points: tuple[str, ...]
    price_line: str
    call_to_action: str

    @property
    def sentences(self) -> list[str]:
        """Everything spoken, in order."""
        lines = [self.hook, *self.points]
        if self.price_line:
            lines.append(self.price_line)
        return [*lines, self.call_to_action]


def _price_line(brief: ProductBrief) -> str:
    if brief.price_fen is None:
        return ""
    line = f"现价只要{price_text(brief.price_fen)}元"
    if brief.original_price_fen and brief.original_price_fen > brief.price_fen:
        line += f"，原价{price_text(brief.original_price_fen)}元"
    return line + "！"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in "。！？!?" else text + "。"


def template_copies(brief: ProductBrief) -> list[AdCopy]:
    """Copy variants from fixed templates, one per hook; titles rotate with them."""
    values = {
        "name": brief.name,
        "brand": brief.brand,
        "category": brief.category or "好物",
        "price_title": f"只要{price_text(brief.price_fen)}元" if brief.price_fen else brief.name,
    }
    copies = []
    for index, hook in enumerate(_HOOKS):
        point = brief.selling_points[index % len(brief.selling_points)].rstrip("。！!")
        title = _TITLES[index % len(_TITLES)].format(point=point, **values).strip()
        count = len(brief.selling_points)
        rotated = [brief.selling_points[(index + k) % count] for k in range(count)]
        if "{point}" in hook and count > 1:
            rotated = rotated[1:]  # the hook already says the first one
        points = [_sentence(p) for p in rotated]
        copies.append(
            AdCopy(
                title=shorten(title, max_chars=20) or brief.name,
                hook=_sentence(hook.format(point=point, **values)),
                points=tuple(points),
                price_line=_price_line(brief),
                call_to_action=_sentence(brief.call_to_action),
            )
        )
    return copies


_SCHEMA = {
    "type": "object",
    "properties": {
        "variants": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "title": {"type": "string"},
                    "hook": {"type": "string"},
                    "points": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["title", "hook", "points"],
            },
        }
    },
    "required": ["variants"],
}


def llm_copies(brief: ProductBrief, llm: LLMProvider, *, count: int = 4) -> list[AdCopy]:
    """Copy variants written by a language model (JSON answer); prices stay from the brief."""
    prompt = (
        f"为商品写{count}组短视频广告文案，每组含标题(<=12字)、开场钩子(一句)、3条卖点(每条<=25字)。"
        f"商品：{brief.brand}{brief.name}；类目：{brief.category}；卖点："
        + "；".join(brief.selling_points)
        + "。只输出JSON。"
    )
    answer = llm.chat(
        [
            {"role": "system", "content": "你是电商短视频广告文案。"},
            {"role": "user", "content": prompt},
        ],
        json_schema=_SCHEMA,
        schema_name="ad_copy",
        temperature=0.8,
    )
    try:
        variants = json.loads(answer.content)["variants"]
        copies = [
            AdCopy(
                title=shorten(str(v["title"]), max_chars=20),
                hook=_sentence(str(v["hook"])),
                points=tuple(_sentence(str(p)) for p in v["points"][:4] if str(p).strip()),
                price_line=_price_line(brief),
                call_to_action=_sentence(brief.call_to_action),
            )
            for v in variants
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderResponseError(f"LLM ad copy is not the JSON asked for: {exc}") from exc
    if not copies:
        raise ProviderResponseError("LLM gave no ad copy variants")
    return copies
