"""LLM providers: one interface, and an OpenAI-compatible chat-completions client on httpx.

The client speaks the ``POST {base_url}/chat/completions`` wire format that DeepSeek, Qwen
(DashScope compatible mode), Kimi, vLLM, Ollama and llama.cpp servers share: JSON-schema
structured output (``response_format``), streaming (server-sent events), timeouts, retries
with exponential backoff on 429 and 5xx (honouring ``Retry-After``), and token usage with a
cost in integer fen. The API key comes only from settings or the environment and is never
logged or shown in ``repr``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
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

log = logging.getLogger(__name__)
Message = dict[str, str]
#: a Retry-After longer than this is not waited for (seconds)
MAX_RETRY_AFTER_S = 30.0


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
        """A client configured by ``LAOTIE_LLM_*`` settings."""
        values: dict[str, Any] = {
            "base_url": settings.llm_base_url,
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
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": json_schema, "strict": True},
            }
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

    def _wait(self, attempt: int, response: httpx.Response | None) -> None:
        delay = self.backoff_s * (2**attempt)
        if response is not None:
            header = response.headers.get("Retry-After", "")
            with contextlib.suppress(ValueError):
                delay = min(MAX_RETRY_AFTER_S, max(0.0, float(header)))
        self.sleep(delay)

    def _send(self, body: dict[str, Any], *, stream: bool) -> httpx.Response:
        """POST with retries; returns a 2xx response (streaming responses still open)."""
        last: Exception | None = None
        for attempt in range(self.max_retries + 1):
            response: httpx.Response | None = None
            try:
                request = self._http.build_request("POST", "/chat/completions", json=body)
                response = self._http.send(request, stream=stream)
            except httpx.TimeoutException as exc:
                last = ProviderTimeout(
                    f"LLM at {self.base_url} did not answer within {self.timeout_s}s",
                    attempts=attempt + 1,
                )
                last.__cause__ = exc
            except httpx.TransportError as exc:
                last = ProviderError(f"LLM at {self.base_url} unreachable: {type(exc).__name__}")
                last.__cause__ = exc
            else:
                if response.status_code < 300:
                    return response
                if stream:
                    response.read()
                status = response.status_code
                if status == 429:
                    last = ProviderRateLimited(
                        f"LLM rate limited (HTTP 429) after {attempt + 1} attempts"
                    )
                elif status >= 500:
                    last = ProviderError(f"LLM server error HTTP {status}", status=status)
                else:
                    raise ProviderError(
                        f"LLM refused the request: HTTP {status}: {response.text[:300]}",
                        status=status,
                    )
            log.warning("LLM call attempt %d failed: %s", attempt + 1, last)
            if attempt < self.max_retries:
                self._wait(attempt, response)
        assert last is not None
        raise last

    def chat(
        self,
        messages: Sequence[Message],
        *,
        json_schema: dict[str, Any] | None = None,
        schema_name: str = "result",
        max_tokens: int | None = None,
        temperature: float = 0.7,
    ) -> ChatResult:
        """One chat completion; with ``json_schema`` the server is asked for matching JSON."""
        body = self._body(
            messages,
            json_schema=json_schema,
            schema_name=schema_name,
            max_tokens=max_tokens,
            temperature=temperature,
            stream=False,
        )
        response = self._send(body, stream=False)
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
