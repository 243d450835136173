"""The ``LiveState`` implementations: in process (default) and on a shared Redis server."""

from __future__ import annotations

from laotie.core.errors import InvalidInput
from laotie.core.live import LiveState
from laotie.store.live.memory import MemoryLiveState

__all__ = ["MemoryLiveState", "open_live_state"]

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def open_live_state(url: str) -> LiveState:
    """The live state at ``url``: in process when empty, else the Redis server it names
    (checked to answer)."""
    if not url:
        return MemoryLiveState()
    if not url.startswith(REDIS_SCHEMES):
        raise InvalidInput(
            f"live_state_url must be empty (in process) or a Redis URL, not {url!r}",
            field="live_state_url",
            limit=" | ".join(REDIS_SCHEMES),
        )
    from laotie.store.live.redis_state import RedisLiveState  # the client only where used

    state = RedisLiveState(url)
    state.ping()
    return state
