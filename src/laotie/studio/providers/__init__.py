"""Studio providers: language models (here), speech, image and video (Studio II)."""

from laotie.studio.providers.llm import (
    ChatResult,
    LLMProvider,
    OpenAICompatibleClient,
    Usage,
    estimate_tokens,
)

__all__ = ["ChatResult", "LLMProvider", "OpenAICompatibleClient", "Usage", "estimate_tokens"]
