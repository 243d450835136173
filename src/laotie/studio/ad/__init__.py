"""AIGC ad videos: product brief -> copy variants -> programmatic combinations -> videos."""

from laotie.studio.ad.brief import ProductBrief, load_brief, parse_brief, price_text
from laotie.studio.ad.copywriter import AdCopy, llm_copies, template_copies
from laotie.studio.ad.make import (
    COVERS,
    TEMPLATES,
    VOICES,
    AdVariant,
    AdVideo,
    AdVoice,
    make_ads,
    plan_variants,
)

__all__ = [
    "COVERS",
    "TEMPLATES",
    "VOICES",
    "AdCopy",
    "AdVariant",
    "AdVideo",
    "AdVoice",
    "ProductBrief",
    "llm_copies",
    "load_brief",
    "make_ads",
    "parse_brief",
    "plan_variants",
    "price_text",
    "template_copies",
]
