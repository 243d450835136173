"""The one exception tree of laotie.

::

    LaotieError
     +-- InvalidInput          bad input; names the field and the limit it broke
     +-- NotFound              a named thing does not exist
     +-- Conflict              the request clashes with existing state (duplicate, wrong status)
     +-- PermissionDenied      authenticated, but the role or scope does not allow it
     +-- Unauthenticated       no key, or a key that does not match
     +-- PayloadTooLarge       a request body past its byte limit
     +-- RateLimited           too many requests from a key or a client address
     +-- RequestTimeout        a request body stalled
     +-- Unavailable           a shared server (the live-state Redis) cannot be reached
     +-- InsufficientBalance   a charge would take an account below zero
     +-- ArtefactError         a trained artefact is missing or corrupt
     +-- MediaError            ffmpeg / image / audio processing failed (carries the input)
     +-- ProviderError         a third-party provider failed
          +-- ProviderTimeout
          +-- ProviderRateLimited
          +-- ProviderResponseError   the provider answered, but not in the documented shape

Foreign errors (SQLAlchemy, httpx, ffmpeg exit codes, LightGBM) are translated into this tree
where they enter laotie; the HTTP API maps the tree to RFC 9457 problem documents in one place.
"""

from __future__ import annotations

from typing import Any


class LaotieError(Exception):
    """Base of every error laotie raises on purpose."""

    #: a stable, short machine name used as the problem document's ``type`` suffix
    code = "error"
    #: the HTTP status the API answers with
    status = 500

    def __init__(self, message: str, **context: Any) -> None:
        super().__init__(message)
        self.message = message
        self.context = context

    def __str__(self) -> str:
        return self.message


class InvalidInput(LaotieError):
    """Input broke a rule; ``field`` names where and ``limit`` states the rule."""

    code = "invalid-input"
    status = 422

    def __init__(
        self, message: str, *, field: str | None = None, limit: Any = None, **context: Any
    ) -> None:
        super().__init__(message, field=field, limit=limit, **context)
        self.field = field
        self.limit = limit


class NotFound(LaotieError):
    """A named thing does not exist."""

    code = "not-found"
    status = 404


class Conflict(LaotieError):
    """The request clashes with existing state."""

    code = "conflict"
    status = 409


class PermissionDenied(LaotieError):
    """The caller's role or scope does not allow this."""

    code = "permission-denied"
    status = 403


class Unauthenticated(LaotieError):
    """No API key, or one that does not match a stored key."""

    code = "unauthenticated"
    status = 401


class InsufficientBalance(LaotieError):
    """A charge would take an account below zero."""

    code = "insufficient-balance"
    status = 402


class ArtefactError(LaotieError):
    """A trained artefact is missing, unreadable or inconsistent."""

    code = "artefact-error"
    status = 503


class MediaError(LaotieError):
    """Media processing failed; ``input`` names the file or stage."""

    code = "media-error"
    status = 422


class ProviderError(LaotieError):
    """A third-party provider (LLM, TTS, video generation) failed."""

    code = "provider-error"
    status = 502


class ProviderTimeout(ProviderError):
    """The provider did not answer in time."""

    code = "provider-timeout"
    status = 504


class ProviderRateLimited(ProviderError):
    """The provider refused for rate or concurrency limits after all retries."""

    code = "provider-rate-limited"
    status = 503


class ProviderResponseError(ProviderError):
    """The provider answered, but not in its documented shape."""

    code = "provider-response"
    status = 502


class PayloadTooLarge(LaotieError):
    """A request body is larger than its limit; ``limit`` states it in bytes."""

    code = "payload-too-large"
    status = 413


class RateLimited(LaotieError):
    """Too many requests from one key or one client address; retry later."""

    code = "rate-limited"
    status = 429


class RequestTimeout(LaotieError):
    """A request body stalled longer than the server waits for it."""

    code = "request-timeout"
    status = 408


class Unavailable(LaotieError):
    """A shared server laotie depends on (e.g. the live-state Redis) cannot be reached."""

    code = "unavailable"
    status = 503
