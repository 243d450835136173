from laotie.core.clock import ManualClock, day_label, day_start_ms
from laotie.core.ids import new_id


def test_ids_sort_by_time_and_are_unique():
    first = new_id(now_ms=1_000)
    second = new_id(now_ms=2_000)
    assert len(first) == 26
    assert first < second
    assert len({new_id() for _ in range(1000)}) == 1000


def test_day_boundaries_follow_the_time_zone():
    # 2026-11-28 16:30 UTC is 2026-11-29 00:30 in Shanghai
    ms = 1_795_883_400_000
    assert day_label(ms, "UTC") == "2026-11-28"
    assert day_label(ms, "Asia/Shanghai") == "2026-11-29"
    assert day_start_ms(ms, "Asia/Shanghai") == 1_795_881_600_000


def test_manual_clock_moves_only_when_told():
    clock = ManualClock(10)
    clock.advance(5)
    assert clock.now_ms() == 15
    clock.set(3)
    assert clock.now_ms() == 3
