"""LLM providers: one interface, and an OpenAI-compatible chat-completions client on httpx.

The client speaks the ``POST {base_url}/chat/completions`` wire format that OpenAI, DeepSeek,
Qwen (DashScope compatible mode), Moonshot, Zhipu, vLLM, Ollama and llama.cpp servers share:
structured output in the mode the service supports (``llm_presets``: strict ``json_schema``,
``json_object`` with the schema in the prompt, or plain text cut out and validated), a step
down to a weaker mode when the server answers 400 naming the parameter, streaming
(server-sent events), timeouts, retries with jittered backoff on 429/5xx/timeouts (tenacity,
honouring ``Retry-After``), and token usage with a cost in integer fen. The API key comes
only from settings or the environment and is never logged or shown in ``repr``.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from laotie.core.errors import (
    InvalidInput,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
)
from laotie.core.settings import Settings
from laotie.studio.providers.llm_presets import (
    StructuredMode,
    get_preset,
    strict_schema,
    structured_mode,
)
from laotie.studio.providers.retry import Transient, call_with_retries, retry_after

log = logging.getLogger(__name__)
Message = dict[str, str]
#: a 400 whose body names one of these refused the structured-output request, not the prompt
_REFUSED_FORMAT = re.compile(r"response_format|json_schema|json_object|strict|schema", re.I)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


@dataclass
class Usage:
    """Tokens used and their cost in fen (integer, rounded up per call)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_fen: int = 0
    calls: int = 0

    def add(self, other: Usage) -> None:
        """Accumulate ``other`` into this total."""
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_fen += other.cost_fen
        self.calls += other.calls

    def as_dict(self) -> dict[str, int]:
        """Plain dict form."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_fen": self.cost_fen,
            "calls": self.calls,
        }


@dataclass(frozen=True)
class ChatResult:
    """One completion: the text, why it stopped, and its usage."""

    content: str
    finish_reason: str
    usage: Usage
    model: str


class LLMProvider(Protocol):
    """What the writer needs from a language model."""

    def chat(
        self,
        messages: Sequence[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "result",
        max_tokens: int | None = None,
        temperature: float = 0.7,
    ) -> ChatResult:
        """One completion, optionally constrained to a JSON schema."""
        ...

    def estimate_cost_fen(self, prompt_tokens: int, completion_tokens: int) -> int:
        """What that many tokens would cost, fen."""
        ...


def estimate_tokens(text: str) -> int:
    """A conservative token count: one per CJK character, one per 4 other characters."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    return cjk + math.ceil((len(text) - cjk) / 4)


@dataclass
class OpenAICompatibleClient:
    """Chat completions over HTTP against any OpenAI-compatible server."""

    base_url: str
    model: str
    api_key: str = field(default="", repr=False)
    timeout_s: float = 60.0
    max_retries: int = 3
    backoff_s: float = 1.0
    price_input_fen_per_mtok: int = 0
    price_output_fen_per_mtok: int = 0
    transport: httpx.BaseTransport | None = field(default=None, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    total: Usage = field(default_factory=Usage)
    #: how JSON answers are asked for; steps down on a 400 that refuses it
    structured: StructuredMode = StructuredMode.JSON_SCHEMA
    preset: str = ""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise InvalidInput(
                "LLM base URL must start with http:// or https://", field="LAOTIE_LLM_BASE_URL"
            )
        if not self.model:
            raise InvalidInput("LLM model name is empty", field="LAOTIE_LLM_MODEL")
        self._lock = threading.Lock()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(self.timeout_s),
            transport=self.transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> OpenAICompatibleClient:
        """A client configured by ``LAOTIE_LLM_*`` settings (a preset fills URL and mode)."""
        preset = get_preset(settings.llm_preset) if settings.llm_preset else None
        mode = settings.llm_structured or (preset.structured if preset else "json_schema")
        values: dict[str, Any] = {
            "base_url": settings.llm_base_url or (preset.base_url if preset else ""),
            "structured": structured_mode(mode),
            "preset": settings.llm_preset,
            "model": settings.llm_model,
            "api_key": settings.llm_api_key,
            "timeout_s": settings.llm_timeout_s,
            "max_retries": settings.llm_max_retries,
            "price_input_fen_per_mtok": settings.llm_price_input_fen_per_mtok,
            "price_output_fen_per_mtok": settings.llm_price_output_fen_per_mtok,
        }
        values.update(overrides)
        return cls(**values)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def estimate_cost_fen(self, prompt_tokens: int, completion_tokens: int) -> int:
        """Cost of the tokens at this client's prices, rounded up to a whole fen."""
        micro = (
            prompt_tokens * self.price_input_fen_per_mtok
            + completion_tokens * self.price_output_fen_per_mtok
        )
        return -(-micro // 1_000_000)

    def _body(
        self,
        messages: Sequence[Message],
        *,
        json_schema: dict[str, Any] | None,
        schema_name: str,
        max_tokens: int | None,
        temperature: float,
        stream: bool,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "temperature": temperature,
        }
        if max_tokens:
            body["max_tokens"] = max_tokens
        if json_schema is not None:
            mode = self.structured
            if mode is StructuredMode.JSON_SCHEMA:
                strict = strict_schema(json_schema)
                body["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema_name, "schema": strict, "strict": True},
                }
            else:
                if mode is StructuredMode.JSON_OBJECT:
                    body["response_format"] = {"type": "json_object"}
                body["messages"] = [_schema_message(json_schema, schema_name), *messages]
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    def _usage(self, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        prompt = int(data.get("prompt_tokens") or 0)
        completion = int(data.get("completion_tokens") or 0)
        return Usage(prompt, completion, self.estimate_cost_fen(prompt, completion), 1)

    def _record(self, usage: Usage) -> None:
        with self._lock:
            self.total.add(usage)

    def _send_once(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """One POST; a 2xx response, a Transient for what may pass, or the error to raise."""
        try:
            request = self._http.build_request("POST", "/chat/completions", json=body)
            response = self._http.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            timeout = ProviderTimeout(
                f"LLM at {self.base_url} did not answer within {self.timeout_s}s"
            )
            timeout.__cause__ = exc
            raise Transient(timeout) from exc
        except httpx.TransportError as exc:
            down = ProviderError(f"LLM at {self.base_url} unreachable: {type(exc).__name__}")
            down.__cause__ = exc
            raise Transient(down) from exc
        if response.status_code < 300:
            return response
        if stream:
            response.read()
        status = response.status_code
        wait = retry_after(response.headers.get("Retry-After"))
        if status == 429:
            limited = ProviderRateLimited(
                f"LLM rate limited (HTTP 429) after {self.max_retries + 1} attempts"
            )
            raise Transient(limited, retry_after_s=wait)
        if status >= 500:
            failed = ProviderError(f"LLM server error HTTP {status}", status=status)
            raise Transient(failed, retry_after_s=wait)
        raise ProviderError(
            f"LLM refused the request: HTTP {status}: {response.text[:300]}",
            status=status,
            body=response.text[:1000],
        )

    def _send(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """POST with retries on 429/5xx/timeouts; returns a 2xx response (streams still open)."""
        return call_with_retries(
            lambda: self._send_once(body, stream=stream),
            retries=self.max_retries,
            backoff_s=self.backoff_s,
            sleep=self.sleep,
            what=f"LLM call to {self.base_url}",
        )

    def _step_down(self, error: ProviderError, mode: StructuredMode) -> bool:
        """After a 400 refusing ``mode``, use the next weaker one; False when none is left."""
        body = str(error.context.get("body", ""))
        weaker = mode.weaker()
        if error.context.get("status") != 400 or not _REFUSED_FORMAT.search(body) or not weaker:
            return False
        with self._lock:
            if self.structured is mode:
                log.warning("LLM refused %s structured output; using %s", mode, weaker)
                self.structured = weaker
        return True

    def chat(
        self,
        messages: Sequence[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "result",
        max_tokens: int | None = None,
        temperature: float = 0.7,
    ) -> ChatResult:
        """One chat completion; with ``json_schema`` the answer is JSON meant to match it.

        The JSON is asked for in the client's structured mode; a 400 refusing that mode steps
        down to a weaker one and asks again. In the weaker modes the JSON is cut out of any
        prose or code fence; validating it against the schema is the caller's job.
        """
        while True:
            mode = self.structured
            body = self._body(
                messages,
                json_schema=json_schema,
                schema_name=schema_name,
                max_tokens=max_tokens,
                temperature=temperature,
                stream=False,
            )
            try:
                response = self._send(body, stream=False)
                break
            except ProviderError as exc:
                if json_schema is None or not self._step_down(exc, mode):
                    raise
        try:
            data = response.json()
            choice = data["choices"][0]
            content = choice["message"].get("content") or ""
            finish = choice.get("finish_reason") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ProviderResponseError(
                f"LLM answer is not a chat completion: {response.text[:200]}"
            ) from exc
        usage = self._usage(data.get("usage"))
        self._record(usage)
        if json_schema is not None and mode is not StructuredMode.JSON_SCHEMA:
            content = json_payload(content)
        return ChatResult(content, finish, usage, str(data.get("model") or self.model))

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.7,
    ) -> Iterator[str]:
        """Yield content deltas as the server streams them (server-sent events)."""
        body = self._body(
            messages,
            json_schema=None,
            schema_name="",
            max_tokens=max_tokens,
            temperature=temperature,
            stream=True,
        )
        response = self._send(body, stream=True)
        usage = Usage(calls=1)
        try:
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    break
                try:
                    chunk = json.loads(payload)
                except ValueError as exc:
                    raise ProviderResponseError(
                        f"LLM stream chunk is not JSON: {payload[:100]}"
                    ) from exc
                if chunk.get("usage"):
                    usage = self._usage(chunk["usage"])
                for choice in chunk.get("choices") or []:
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        yield delta
        except httpx.TimeoutException as exc:
            raise ProviderTimeout(f"LLM stream stalled for {self.timeout_s}s") from exc
        finally:
            response.close()
            self._record(usage)


def _schema_message(schema: dict[str, Any], name: str) -> Message:
    """The system message that carries the schema when the server cannot enforce it."""
    return {
        "role": "system",
        "content": f"只输出一个JSON对象（json），不要输出其他文字或代码块标记。结果名称：{name}。"
        "它必须符合下面的JSON Schema：\n" + json.dumps(schema, ensure_ascii=False),
    }


def json_payload(content: str) -> str:
    """The JSON object inside an answer: a code fence's body, or the outermost ``{...}``."""
    text = content.strip()
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text
