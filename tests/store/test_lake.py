import pytest

from laotie.core.catalog import CreatorCreate, ItemCreate
from laotie.core.clock import MS_PER_DAY, day_start_ms
from laotie.store.repos import catalog

pytestmark = pytest.mark.both_backends  # the same tests on a real PostgreSQL

DAY0 = day_start_ms(1_795_900_000_000, "UTC")


def _events(n, start):
    return [
        {
            "id": f"e{start}_{k}",
            "type": "watch",
            "user_id": f"u{k % 4}",
            "item_id": "i1",
            "ts_ms": start + k * 3_600_000,
            "watch_ms": 10,
            "duration_ms": 20,
        }
        for k in range(n)
    ]


def _seed(services):
    with services.db.session() as s:
        catalog.create_creator(s, creator=CreatorCreate(id="c1", name="c"))
        catalog.create_item(s, item=ItemCreate(id="i1", kind="video", creator_id="c1", title="t"))
    services.events.ingest(_events(30, DAY0))  # spans day 0 and day 1


def test_compaction_moves_completed_days_and_reader_sees_the_same(services):
    _seed(services)
    before = services.lake.read()
    report = services.lake.compact(DAY0 + MS_PER_DAY + 5)
    assert report.rows == 24 and report.days == [f"{report.days[0]}"]
    assert services.events.count() == 6
    after = services.lake.read()
    assert after.equals(before)
    files = list(services.lake.root.glob("day=*/*.parquet"))
    assert len(files) == 1
    assert set(after["type"].cast(str)) == {"watch"}


def test_reader_filters_by_time_and_type(services):
    _seed(services)
    services.lake.compact(DAY0 + MS_PER_DAY)
    window = services.lake.read(start_ms=DAY0 + 20 * 3_600_000, end_ms=DAY0 + 26 * 3_600_000)
    assert window.height == 6
    assert services.lake.read(types=["like"]).height == 0


def test_duplicates_of_compacted_events_stay_duplicates(services):
    _seed(services)
    services.lake.compact(DAY0 + MS_PER_DAY)
    replay = services.events.ingest(_events(30, DAY0))
    assert (replay.accepted, replay.duplicate) == (0, 30)
    assert services.lake.read().height == 30


def test_interrupted_compaction_leaves_no_double_reads(services):
    _seed(services)
    orphan = services.lake.root / "day=2026-01-01" / "part-orphan.parquet"
    orphan.parent.mkdir(parents=True)
    services.lake.read().write_parquet(orphan)
    assert services.lake.read().height == 30
    services.lake.compact(DAY0 + MS_PER_DAY)
    assert not orphan.exists()
    assert services.lake.read().height == 30
