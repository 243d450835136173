"""One way to call a generation provider over HTTP and turn its failures into clear errors.

Every provider client (stock footage, image and speech generation) sends its requests
through :func:`call`, which retries 429/5xx/timeouts with the one policy of
:mod:`laotie.studio.providers.retry` (the LLM client's too) and maps what the
provider answers to the laotie error tree with a message a creator can act on: a bad key
names the setting to fix, an exhausted quota says so, refused content names the prompt.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from laotie.core.errors import (
    InvalidInput,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
)
from laotie.studio.providers.retry import Transient, call_with_retries, retry_after

#: words providers use when they refuse a prompt or an output as unsafe
REFUSAL_WORDS = ("content_policy", "safety", "sensitive", "moderation", "refused", "违规", "敏感")
#: words providers use when the account ran out of quota or balance
QUOTA_WORDS = ("quota", "balance", "billing", "insufficient", "余额", "额度")


def answer_text(response: httpx.Response) -> str:
    """The provider's own error words: ``error.message``, ``message`` or the body, shortened."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:300]
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or error)[:300]
        for key in ("message", "msg", "error", "detail"):
            if data.get(key):
                return str(data[key])[:300]
    return str(data)[:300]


def refused(text: str) -> bool:
    """True when the provider's words say it refused the content."""
    lowered = text.lower()
    return any(word in lowered for word in REFUSAL_WORDS)


def out_of_quota(text: str) -> bool:
    """True when the provider's words say the account's quota or balance is used up."""
    lowered = text.lower()
    return any(word in lowered for word in QUOTA_WORDS)


def raise_for_answer(response: httpx.Response, *, provider: str, key_setting: str) -> None:
    """Raise the laotie error for a non-2xx answer (nothing for a success)."""
    status = response.status_code
    if status < 300:
        return
    words = answer_text(response)
    if status in (401, 403) and not out_of_quota(words):
        raise ProviderError(
            f"{provider} rejected the API key ({status}: {words}); check {key_setting}",
            provider=provider,
            reason="bad-key",
        )
    if status == 429 or out_of_quota(words):
        raise ProviderRateLimited(
            f"{provider} quota or rate limit reached ({status}: {words})",
            provider=provider,
            reason="quota",
        )
    if refused(words):
        raise ProviderError(
            f"{provider} refused the content as unsafe ({status}: {words}); change the prompt",
            provider=provider,
            reason="content-refused",
        )
    raise ProviderResponseError(f"{provider} answered {status}: {words}", provider=provider)


def call(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    provider: str,
    key_setting: str,
    retries: int = 2,
    backoff_s: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    content: bytes | str | None = None,
) -> httpx.Response:
    """Send one request, retrying 429, 5xx and timeouts; a failure raises a clear provider error.

    The waits are :func:`~laotie.studio.providers.retry.call_with_retries`' policy (jittered
    exponential backoff from ``backoff_s``, at most 8 s, or the server's ``Retry-After``).
    """
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(f"{provider} URL must be http(s): {url}", field=key_setting)

    def attempt() -> httpx.Response:
        try:
            response = client.request(
                method, url, headers=headers, params=params, json=json, content=content
            )
        except httpx.TimeoutException as exc:
            timeout = ProviderTimeout(f"{provider} timed out: {url}", provider=provider)
            timeout.__cause__ = exc
            raise Transient(timeout) from exc
        except httpx.HTTPError as exc:
            raise ProviderError(f"{provider} unreachable: {url}: {exc}", provider=provider) from exc
        status = response.status_code
        if (status == 429 or status >= 500) and not out_of_quota(answer_text(response)):
            try:
                raise_for_answer(response, provider=provider, key_setting=key_setting)
            except ProviderError as error:
                wait = retry_after(response.headers.get("Retry-After"))
                raise Transient(error, retry_after_s=wait) from error
        raise_for_answer(response, provider=provider, key_setting=key_setting)
        return response

    return call_with_retries(
        attempt,
        retries=retries,
        backoff_s=backoff_s,
        sleep=sleep,
        what=f"{provider} {method} {url}",
        max_wait_s=8.0,
    )


def download(
    client: httpx.Client, url: str, *, provider: str, max_bytes: int, key_setting: str = ""
) -> bytes:
    """Fetch a result file (image, clip) of at most ``max_bytes``."""
    response = call(client, "GET", url, provider=provider, key_setting=key_setting, retries=1)
    if len(response.content) > max_bytes:
        raise ProviderResponseError(
            f"{provider} file larger than {max_bytes} bytes: {url}", provider=provider
        )
    if not response.content:
        raise ProviderResponseError(f"{provider} sent an empty file: {url}", provider=provider)
    return response.content
