"""The ``LiveState`` contract, run on the in-process implementation and on a real Redis."""

from __future__ import annotations

import threading
import time

import pytest
from tests.servers.redis import free_port

from laotie.core.errors import InvalidInput, Unavailable
from laotie.core.live import LiveState
from laotie.store.live import MemoryLiveState, open_live_state

DAY_MS = 86_400_000


def test_counters_add_up_per_key_and_field(live: LiveState) -> None:
    live.add([("c:a", {"x": 1, "y": 2.5}), ("c:b", {"x": 4})], ttl_ms=DAY_MS)
    live.add([("c:a", {"x": 2, "y": 0.25})], ttl_ms=DAY_MS)
    assert live.read(["c:a", "c:b", "c:none"]) == [{"x": 3.0, "y": 2.75}, {"x": 4.0}, {}]


def test_counters_expire_after_their_ttl(live: LiveState) -> None:
    live.add([("c:short", {"x": 1})], ttl_ms=150)
    assert live.read(["c:short"]) == [{"x": 1.0}]
    time.sleep(0.3)
    assert live.read(["c:short"]) == [{}]


def test_reserve_seeds_once_and_refuses_past_the_ceiling(live: LiveState) -> None:
    seeds: list[int] = []

    def seed() -> int:
        seeds.append(1)
        return 90

    assert live.reserve("s:day", "7", 5, ceiling=100, seed=seed, ttl_ms=DAY_MS) == 95
    assert live.reserve("s:day", "7", 5, ceiling=100, seed=seed, ttl_ms=DAY_MS) == 100
    assert live.reserve("s:day", "7", 1, ceiling=100, seed=seed, ttl_ms=DAY_MS) is None
    assert seeds == [1]  # the durable truth is read once, then the counter is the truth
    live.release("s:day", "7", 10)
    assert live.reserve("s:day", "7", 10, ceiling=100, seed=seed, ttl_ms=DAY_MS) == 100
    assert live.read(["s:day"]) == [{"7": 100.0}]


def test_concurrent_reservations_never_pass_the_ceiling(live: LiveState) -> None:
    granted: list[int] = []

    def charge() -> None:
        for _ in range(50):
            if live.reserve("s:race", "1", 3, ceiling=200, seed=lambda: 0, ttl_ms=DAY_MS):
                granted.append(3)

    threads = [threading.Thread(target=charge) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 198  # 66 charges of 3 fit under 200; no more, no fewer
    assert live.read(["s:race"]) == [{"1": 198.0}]


def test_logs_keep_the_newest_and_read_after_a_cursor(live: LiveState) -> None:
    live.append([("l:u1", f"e{i}") for i in range(5)] + [("l:u2", "x")], max_len=3, ttl_ms=DAY_MS)
    first = live.read_after({"l:u1": "", "l:u2": "", "l:none": ""})
    assert [p for _, p in first["l:u1"]] == ["e2", "e3", "e4"]
    assert [p for _, p in first["l:u2"]] == ["x"]
    assert first["l:none"] == []
    cursor = first["l:u1"][-1][0]
    assert live.read_after({"l:u1": cursor}) == {"l:u1": []}
    live.append([("l:u1", "e5")], max_len=3, ttl_ms=DAY_MS)
    assert [p for _, p in live.read_after({"l:u1": cursor})["l:u1"]] == ["e5"]


def test_moving_window_limits_hits(live: LiveState) -> None:
    assert [live.hit("r:k", limit=3, window_ms=400) for _ in range(4)] == [True] * 3 + [False]
    assert live.count("r:k", window_ms=400) == 3
    assert live.count("r:other", window_ms=400) == 0
    time.sleep(0.5)
    assert live.count("r:k", window_ms=400) == 0
    assert live.hit("r:k", limit=3, window_ms=400)


def test_published_messages_reach_subscribers(live: LiveState) -> None:
    got: list[str] = []
    arrived = threading.Event()

    def handler(message: str) -> None:
        got.append(message)
        arrived.set()

    live.subscribe("ch:trust", handler)
    live.publish("ch:other", "not for us")
    live.publish("ch:trust", "changed")
    assert arrived.wait(2.0)
    assert got == ["changed"]


def test_two_clients_of_one_redis_share_state(redis_url: str) -> None:
    one, two = open_live_state(redis_url), open_live_state(redis_url)
    try:
        one.add([("c:shared", {"n": 2})], ttl_ms=DAY_MS)
        assert two.read(["c:shared"]) == [{"n": 2.0}]
        got = threading.Event()
        two.subscribe("ch:x", lambda message: got.set())
        one.publish("ch:x", "hello")
        assert got.wait(2.0)
    finally:
        one.close()
        two.close()


def test_memory_is_the_default_and_bad_urls_are_refused() -> None:
    assert isinstance(open_live_state(""), MemoryLiveState)
    with pytest.raises(InvalidInput) as refused:
        open_live_state("memcached://localhost")
    assert refused.value.field == "live_state_url"


def test_an_unreachable_redis_is_a_clear_error() -> None:
    with pytest.raises(Unavailable, match="cannot be reached"):
        open_live_state(f"redis://127.0.0.1:{free_port()}/0")
