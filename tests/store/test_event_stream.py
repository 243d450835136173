"""The event stream on a real Redis: accepted events are published after commit; consumer
groups get every event at least once, in order, and a dead consumer's batch is claimed by
another; handlers keyed on the event id count each event once."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.settings import load_settings
from laotie.store.eventlog import StoredEvent
from laotie.store.repos import catalog
from laotie.wiring import Services, build_services


@pytest.fixture
def services(tmp_path, redis_url: str) -> Iterator[Services]:
    svc = build_services(load_settings(home=tmp_path / "home", event_stream_url=redis_url))
    with svc.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.create_item(s, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="t"))
    yield svc
    svc.close()


def _ingest(svc: Services, ids: range) -> None:
    now = int(time.time() * 1000)
    result = svc.events.ingest(
        [
            {"id": f"e{n}", "type": "impression", "user_id": f"u{n % 3}", "item_id": "v1"}
            | {"ts_ms": now + n}
            for n in ids
        ]
    )
    assert result.rejected == 0


class Sink:
    """An idempotent handler: counts each event id once, remembers the order seen."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}
        self.order: list[str] = []
        self.deliveries = 0

    def __call__(self, events: list[StoredEvent]) -> None:
        for event in events:
            self.deliveries += 1
            if event.client_event_id not in self.seen:
                self.seen[event.client_event_id] = event.ts_ms
                self.order.append(event.client_event_id)


def test_each_group_gets_every_accepted_event_in_order(services: Services) -> None:
    stream = services.stream
    assert stream is not None
    for group in ("analytics", "search-index"):
        stream.ensure_group(group)
    _ingest(services, range(0, 40))
    _ingest(services, range(30, 50))  # e30..e39 are replays: not accepted, not published
    sinks = {group: Sink() for group in ("analytics", "search-index")}
    for group, sink in sinks.items():
        while stream.poll(group, f"{group}-1", sink, count=16, block_ms=100):
            pass
        assert sink.order == [f"e{n}" for n in range(50)]
        assert sink.deliveries == 50 and stream.pending(group) == 0


def test_a_dead_consumers_batch_is_claimed_and_handled_once(services: Services) -> None:
    stream = services.stream
    assert stream is not None
    stream.ensure_group("billing")
    _ingest(services, range(10))

    def dies(_events: list[StoredEvent]) -> None:
        raise ConnectionError("consumer process lost mid-batch")

    with pytest.raises(ConnectionError):
        stream.poll("billing", "worker-a", dies, count=6, block_ms=100)
    assert stream.pending("billing") == 6  # read, never acknowledged
    sink = Sink()
    stream.poll("billing", "worker-b", sink, count=100, block_ms=100, claim_idle_ms=0)
    assert sink.deliveries == 10 and set(sink.seen) == {f"e{n}" for n in range(10)}
    assert stream.pending("billing") == 0
    stream.poll("billing", "worker-b", sink, count=100, block_ms=100, claim_idle_ms=0)
    assert sink.deliveries == 10  # nothing delivered twice once acknowledged
