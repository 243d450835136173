"""``RedisLiveState``: the ``LiveState`` many processes share through one Redis server.

Counters are hashes (``HINCRBYFLOAT``), logs are streams (``XADD ... MAXLEN``, read with an
exclusive ``XRANGE``), moving windows are sorted sets of hit times, broadcasts are pub/sub.
The two read-modify-write steps that must not race between processes run as Lua scripts
inside the server: a budget reservation against its ceiling, and a rate-limit hit.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from redis.client import PubSub, PubSubWorkerThread

from laotie.core.errors import Unavailable
from laotie.core.live import LogEntry

#: reserve ARGV[2] on field ARGV[1] unless the total passes ARGV[3]:
#: {0, 0} the field is absent (seed it), {1, total} refused, {2, new total} reserved
_RESERVE = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {0, 0} end
local total = tonumber(current) + tonumber(ARGV[2])
if total > tonumber(ARGV[3]) then return {1, tonumber(current)} end
return {2, redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])}
"""
#: one hit on a moving window of ARGV[2] ms holding at most ARGV[1] hits; member ARGV[3]
_HIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""
_COUNT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. (now - tonumber(ARGV[1])), '+inf')
"""
_PAYLOAD = "p"
log = logging.getLogger(__name__)


class RedisLiveState:
    """``LiveState`` on a Redis server at ``url`` (``redis://host:port/db``)."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self.url = url
        self._client = redis.Redis.from_url(
            url, decode_responses=True, socket_timeout=timeout_s, socket_connect_timeout=timeout_s
        )
        self._reserve = self._client.register_script(_RESERVE)
        self._hit = self._client.register_script(_HIT)
        self._count = self._client.register_script(_COUNT)
        self._handlers: dict[str, list[Callable[[str], None]]] = {}
        self._pubsub: PubSub | None = None
        self._listener: PubSubWorkerThread | None = None
        self._listen_lock = threading.Lock()

    @contextmanager
    def _talking(self) -> Iterator[None]:
        """Translate the client's connection failures into ``Unavailable``."""
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise Unavailable(f"live state at {self.url} cannot be reached: {exc}") from exc

    def ping(self) -> None:
        """Check the server answers (raises ``Unavailable`` otherwise)."""
        with self._talking():
            self._client.ping()

    def add(self, updates: Sequence[tuple[str, Mapping[str, float]]], *, ttl_ms: int) -> None:
        """``HINCRBYFLOAT`` each amount and ``PEXPIRE`` each key, in one round trip."""
        if not updates:
            return
        with self._talking():
            pipe = self._client.pipeline(transaction=False)
            for key, amounts in updates:
                for field, amount in amounts.items():
                    # integral results are stored as integers ("3"), so HINCRBY still works
                    pipe.hincrbyfloat(key, field, amount)
                pipe.pexpire(key, ttl_ms)
            pipe.execute()

    def read(self, keys: Sequence[str]) -> list[dict[str, float]]:
        """``HGETALL`` each key in one round trip."""
        if not keys:
            return []
        with self._talking():
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                pipe.hgetall(key)
            rows: list[dict[str, str]] = pipe.execute()
        return [{field: float(value) for field, value in row.items()} for row in rows]

    def reserve(
        self,
        key: str,
        field: str,
        amount: int,
        *,
        ceiling: int,
        seed: Callable[[], int],
        ttl_ms: int,
    ) -> int | None:
        """Reserve atomically in a Lua script; an absent field is seeded with ``HSETNX``."""
        with self._talking():
            for _ in range(3):
                status, total = self._reserve(keys=[key], args=[field, amount, ceiling])
                if status == 2:
                    return int(total)
                if status == 1:
                    return None
                pipe = self._client.pipeline(transaction=False)
                pipe.hsetnx(key, field, int(seed()))
                pipe.pexpire(key, ttl_ms)
                pipe.execute()
        raise Unavailable(f"live state at {self.url} keeps losing counter {key}/{field}")

    def release(self, key: str, field: str, amount: int) -> None:
        """``HINCRBY`` the amount back, only where the counter still exists."""
        with self._talking():
            if self._client.hexists(key, field):
                self._client.hincrby(key, field, -amount)

    def append(self, entries: Sequence[tuple[str, str]], *, max_len: int, ttl_ms: int) -> None:
        """``XADD`` each payload with ``MAXLEN`` and ``PEXPIRE`` its stream, one round trip."""
        if not entries:
            return
        with self._talking():
            pipe = self._client.pipeline(transaction=False)
            for key, payload in entries:
                pipe.xadd(key, {_PAYLOAD: payload}, maxlen=max_len, approximate=False)
            for key in {key for key, _ in entries}:
                pipe.pexpire(key, ttl_ms)
            pipe.execute()

    def read_after(self, cursors: Mapping[str, str]) -> dict[str, list[LogEntry]]:
        """An exclusive ``XRANGE`` per key, one round trip."""
        if not cursors:
            return {}
        keys = list(cursors)
        with self._talking():
            pipe = self._client.pipeline(transaction=False)
            for key in keys:
                cursor = cursors[key]
                pipe.xrange(key, min=f"({cursor}" if cursor else "-", max="+")
            answers: list[list[tuple[str, dict[str, str]]]] = pipe.execute()
        return {
            key: [(entry_id, fields[_PAYLOAD]) for entry_id, fields in answer]
            for key, answer in zip(keys, answers, strict=True)
        }

    def hit(self, key: str, *, limit: int, window_ms: int) -> bool:
        """One hit on a sorted-set moving window, checked and counted in one Lua script."""
        with self._talking():
            return bool(self._hit(keys=[key], args=[limit, window_ms, os.urandom(8).hex()]))

    def count(self, key: str, *, window_ms: int) -> int:
        """Hits in the last ``window_ms`` by the server's clock."""
        with self._talking():
            return int(self._count(keys=[key], args=[window_ms]))

    def publish(self, channel: str, message: str) -> None:
        """``PUBLISH`` to every subscribed process."""
        with self._talking():
            self._client.publish(channel, message)

    def subscribe(self, channel: str, handler: Callable[[str], None]) -> None:
        """Subscribe on a background listener thread (restarted to add the channel)."""
        with self._listen_lock, self._talking():
            self._handlers.setdefault(channel, []).append(handler)
            self._stop_listening()
            pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(**{name: self._dispatcher(name) for name in self._handlers})
            self._pubsub = pubsub
            self._listener = pubsub.run_in_thread(
                sleep_time=0.05, daemon=True, exception_handler=self._listener_failed
            )

    def _listener_failed(self, exc: BaseException, pubsub: PubSub, thread: Any) -> None:
        """The server went away: keep the listener alive, it resubscribes once it is back."""
        log.warning("live state at %s: subscription interrupted (%s); retrying", self.url, exc)
        time.sleep(0.5)

    def _dispatcher(self, channel: str) -> Callable[[dict[str, Any]], None]:
        def dispatch(message: dict[str, Any]) -> None:
            for handler in list(self._handlers.get(channel, ())):
                handler(str(message["data"]))

        return dispatch

    def _stop_listening(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener.join(timeout=2)
            self._listener = None
        if self._pubsub is not None:
            self._pubsub.close()
            self._pubsub = None

    def close(self) -> None:
        """Stop the listener and close the connection pool."""
        with self._listen_lock:
            self._stop_listening()
        self._client.close()
