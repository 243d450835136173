"""LLM provider presets: where each service lives and which structured output it accepts.

Structured output comes in three modes, from the strongest to the most widely accepted:

- ``json_schema``: ``response_format: {type: json_schema, json_schema: {..., strict: true}}``;
  the server constrains decoding to the schema (OpenAI; vLLM and Ollama constrain too;
  DashScope only for some qwen-plus models).
- ``json_object``: ``response_format: {type: json_object}``; the server guarantees JSON but
  not its shape, and DeepSeek and DashScope refuse it (HTTP 400) unless a message contains the
  word "json". The schema goes into a system message, the answer is validated and repaired.
- ``text``: no ``response_format`` at all; the schema goes into the prompt and the answer is
  cut out of any prose or code fence, validated and repaired.

A preset names a service's documented mode; a 400 that names ``response_format``,
``json_schema`` or ``strict`` makes the client step down one mode and try again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from laotie.core.errors import InvalidInput


class StructuredMode(StrEnum):
    """How a JSON answer is asked for (strongest first)."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    TEXT = "text"

    def weaker(self) -> StructuredMode | None:
        """The next mode to try when the server refuses this one (None: nothing weaker)."""
        order = list(StructuredMode)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


@dataclass(frozen=True)
class Preset:
    """A service: its base URL, its structured-output mode, and what its docs say about it."""

    name: str
    base_url: str
    structured: StructuredMode
    notes: str


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset(
            "openai",
            "https://api.openai.com/v1",
            StructuredMode.JSON_SCHEMA,
            "strict json_schema: every property required, additionalProperties false",
        ),
        Preset(
            "deepseek",
            "https://api.deepseek.com/v1",
            StructuredMode.JSON_OBJECT,
            "json_object only; a message must contain 'json'; may answer blank content",
        ),
        Preset(
            "qwen",
            "https://dashscope.aliyuncs.com/compatible-mode/v1",
            StructuredMode.JSON_OBJECT,
            "DashScope compatible mode: json_object for most models, 'json' in a message; "
            "json_schema only for some qwen-plus models; not in thinking mode",
        ),
        Preset(
            "moonshot",
            "https://api.moonshot.cn/v1",
            StructuredMode.JSON_OBJECT,
            "Kimi JSON mode: response_format json_object",
        ),
        Preset(
            "zhipu",
            "https://open.bigmodel.cn/api/paas/v4",
            StructuredMode.JSON_OBJECT,
            "GLM: response_format json_object",
        ),
        Preset(
            "ollama",
            "http://127.0.0.1:11434/v1",
            StructuredMode.JSON_SCHEMA,
            "OpenAI-compatible endpoint; response_format json_schema constrains the output",
        ),
        Preset(
            "vllm",
            "http://127.0.0.1:8000/v1",
            StructuredMode.JSON_SCHEMA,
            "guided decoding from response_format json_schema",
        ),
    )
}


def get_preset(name: str) -> Preset:
    """The preset called ``name``; InvalidInput naming the known ones otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS))
        raise InvalidInput(
            f"unknown LLM preset {name!r}; known: {known}", field="LAOTIE_LLM_PRESET"
        ) from None


def structured_mode(value: str) -> StructuredMode:
    """The mode called ``value``; InvalidInput naming the three otherwise."""
    try:
        return StructuredMode(value)
    except ValueError:
        modes = ", ".join(m.value for m in StructuredMode)
        raise InvalidInput(
            f"unknown structured output mode {value!r}; one of {modes}",
            field="LAOTIE_LLM_STRUCTURED",
        ) from None


def strict_schema(schema: dict[str, object]) -> dict[str, object]:
    """A copy of a JSON schema that strict mode accepts.

    Every object lists all its properties as required (optional ones stay nullable) and
    forbids others; ``default`` and the size keywords strict mode rejects are dropped (the
    answer is validated against the full model afterwards).
    """
    dropped = {"default", "minLength", "maxLength", "minItems", "maxItems"}

    def walk(node: object) -> object:
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items() if k not in dropped}
            properties = out.get("properties")
            if out.get("type") == "object" and isinstance(properties, dict):
                out["required"] = list(properties)
                out["additionalProperties"] = False
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    result = walk(schema)
    assert isinstance(result, dict)
    return result
