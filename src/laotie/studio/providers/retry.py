"""Retries for provider calls: 429, 5xx, timeouts and dropped connections, with jitter.

One policy for every HTTP provider, built on tenacity: at most ``retries`` more attempts,
waits drawn from a full-jitter exponential backoff (``backoff_s`` × 2^attempt at most, capped
at ``max_wait_s``), or the server's own ``Retry-After`` when it sent one. A provider raises
:class:`Transient` for what may pass; anything else goes straight up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
#: a Retry-After longer than this is not waited for (seconds)
MAX_RETRY_AFTER_S = 30.0


class Transient(Exception):
    """A failure that may pass: carries the error to raise at the end and any Retry-After."""

    def __init__(self, error: Exception, *, retry_after_s: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after_s = retry_after_s


def retry_after(header: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in seconds form (None when absent or a date)."""
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(header))) if header else None
    except ValueError:
        return None


def call_with_retries(
    call: Callable[[], T],
    *,
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None],
    what: str,
    max_wait_s: float = MAX_RETRY_AFTER_S,
) -> T:
    """Run ``call``; on :class:`Transient` wait and try again, at most ``retries`` more times.

    After the last attempt the transient's own error is raised, so callers see a
    ``ProviderRateLimited``/``ProviderTimeout``/``ProviderError`` and never a tenacity type.
    """
    jitter = wait_random_exponential(multiplier=backoff_s, max=max_wait_s)

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, Transient) and failure.retry_after_s is not None:
            return failure.retry_after_s
        return float(jitter(state))

    def before_sleep(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        log.warning("%s attempt %d failed: %s", what, state.attempt_number, failure)

    retrying = Retrying(
        stop=stop_after_attempt(retries + 1),
        wait=wait,
        retry=retry_if_exception_type(Transient),
        sleep=sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(call)
    except Transient as exc:
        raise exc.error from exc.error.__cause__
