"""``laotie studio llm check``: one real round trip to the configured LLM, end to end.

It asks for a small JSON answer in the client's structured mode (stepping down as the
service demands), validates it, and reports the mode that worked, latency, tokens and cost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from laotie.core.errors import ProviderResponseError
from laotie.studio.providers.llm import OpenAICompatibleClient

PROBE = [
    {"role": "system", "content": "你是连通性检查。按要求只输出JSON。"},
    {"role": "user", "content": "用不超过20个字说明你是什么模型，并给出1到10之间的一个整数。"},
]


class Probe(BaseModel):
    """The check's answer."""

    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=200)
    number: int = Field(ge=1, le=10)


@dataclass(frozen=True)
class CheckResult:
    """What the check found: the mode that worked and what the call cost."""

    model: str
    asked_mode: str
    used_mode: str
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int
    cost_fen: int
    answer: str


def check_provider(client: OpenAICompatibleClient) -> CheckResult:
    """Ask the probe; ProviderError subclasses on failure, ProviderResponseError on bad JSON."""
    asked = client.structured.value
    start = time.perf_counter()
    result = client.chat(
        PROBE, json_schema=Probe.model_json_schema(), schema_name="probe", max_tokens=200
    )
    latency_ms = round(1000 * (time.perf_counter() - start))
    try:
        probe = Probe.model_validate_json(result.content)
    except ValidationError as exc:
        raise ProviderResponseError(
            f"LLM answer does not match the probe schema: {exc.errors()[0]['msg']}",
            content=result.content[:200],
        ) from exc
    return CheckResult(
        model=result.model,
        asked_mode=asked,
        used_mode=client.structured.value,
        latency_ms=latency_ms,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        cost_fen=result.usage.cost_fen,
        answer=probe.answer,
    )
