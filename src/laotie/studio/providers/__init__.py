"""Studio providers: language models (here), speech, image and video (Studio II)."""

from laotie.studio.providers.llm import (
    ChatResult,
    LLMProvider,
    OpenAICompatibleClient,
    Usage,
    estimate_tokens,
)
from laotie.studio.providers.llm_presets import PRESETS, Preset, StructuredMode

__all__ = [
    "PRESETS",
    "ChatResult",
    "LLMProvider",
    "OpenAICompatibleClient",
    "Preset",
    "StructuredMode",
    "Usage",
    "estimate_tokens",
]
