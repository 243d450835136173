"""The event stream: accepted events published after commit to a Redis Stream, consumed by
other machines in consumer groups with at-least-once delivery into idempotent handlers.

Publishing appends one stream entry per event (``XADD``, the stream capped near ``maxlen``).
A consumer group reads new entries (``XREADGROUP``), hands each batch to its handler and
acknowledges it (``XACK``) only once the handler returned, so a consumer that dies keeps its
entries pending; any other consumer of the group claims entries left pending longer than
``claim_idle_ms`` (``XAUTOCLAIM``) and handles them again. Handlers therefore see an event
at least once and must be idempotent (key on ``client_event_id``, unique per event).

Kafka carries the same seam: the stream is a topic (partitioned by user id for order per
user), a consumer group is a Kafka consumer group, ``XACK`` is the offset commit after the
handler, and ``XAUTOCLAIM`` is the rebalance that hands a dead consumer's partitions on.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

import redis

from laotie.core.errors import InvalidInput
from laotie.store.eventlog import StoredEvent

log = logging.getLogger(__name__)

Handler = Callable[[list[StoredEvent]], None]
#: the stream key accepted events go to
STREAM = "laotie:events"
#: entries kept on the stream (approximately; Redis trims whole nodes)
MAXLEN = 1_000_000
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _encode(event: StoredEvent) -> dict[str, str]:
    return {"event": json.dumps(event._asdict(), ensure_ascii=False, separators=(",", ":"))}


def _decode(fields: dict[bytes, bytes]) -> StoredEvent:
    return StoredEvent(**json.loads(fields[b"event"]))


class RedisEventStream:
    """Publish accepted events to a Redis Stream and consume them in consumer groups."""

    def __init__(self, url: str, *, stream: str = STREAM, maxlen: int = MAXLEN) -> None:
        if not url.startswith(REDIS_SCHEMES):
            raise InvalidInput(
                f"event_stream_url must be a Redis URL, not {url!r}",
                field="event_stream_url",
                limit=" | ".join(REDIS_SCHEMES),
            )
        self.client = redis.Redis.from_url(url)
        self.stream = stream
        self.maxlen = maxlen

    def publish(self, events: Sequence[StoredEvent]) -> None:
        """Append committed events to the stream, in order, in one round trip."""
        pipe = self.client.pipeline(transaction=False)
        for event in events:
            pipe.xadd(self.stream, _encode(event), maxlen=self.maxlen, approximate=True)  # type: ignore[arg-type]
        pipe.execute()

    def ensure_group(self, group: str, *, start: str = "0") -> None:
        """Create consumer group ``group`` reading from ``start`` ("0": the whole stream,
        "$": only what comes next) unless it exists."""
        try:
            self.client.xgroup_create(self.stream, group, id=start, mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def poll(
        self,
        group: str,
        consumer: str,
        handler: Handler,
        *,
        count: int = 500,
        block_ms: int = 1_000,
        claim_idle_ms: int = 30_000,
    ) -> int:
        """One round for ``consumer``: handle entries other consumers left pending longer than
        ``claim_idle_ms``, then new ones; acknowledge each batch after its handler returned.
        Returns how many events were handled."""
        handled = 0
        claimed = self.client.xautoclaim(
            self.stream, group, consumer, min_idle_time=claim_idle_ms, start_id="0-0", count=count
        )
        handled += self._handle(group, handler, claimed[1])
        answer: Any = self.client.xreadgroup(
            group, consumer, {self.stream: ">"}, count=count, block=block_ms
        )
        for _stream, entries in answer or []:
            handled += self._handle(group, handler, entries)
        return handled

    def _handle(self, group: str, handler: Handler, entries: list[Any]) -> int:
        live = [(entry_id, fields) for entry_id, fields in entries if fields]
        if not live:
            return 0
        handler([_decode(fields) for _id, fields in live])
        self.client.xack(self.stream, group, *[entry_id for entry_id, _ in live])
        return len(live)

    def consume(
        self,
        group: str,
        consumer: str,
        handler: Handler,
        *,
        stop: threading.Event,
        claim_idle_ms: int = 30_000,
    ) -> None:
        """Poll until ``stop`` is set; a failing handler leaves its batch pending (retried by
        this or another consumer after ``claim_idle_ms``)."""
        self.ensure_group(group)
        while not stop.is_set():
            try:
                self.poll(group, consumer, handler, claim_idle_ms=claim_idle_ms)
            except redis.RedisError:
                log.exception("event stream %s: Redis error; retrying", self.stream)
                stop.wait(1.0)
            except Exception:  # the batch stays pending and is claimed again later
                log.exception("event stream %s: handler of group %s failed", self.stream, group)
                stop.wait(1.0)

    def pending(self, group: str) -> int:
        """Entries delivered to ``group`` and not yet acknowledged."""
        return int(self.client.xpending(self.stream, group)["pending"])

    def close(self) -> None:
        """Close the connections."""
        self.client.close()
