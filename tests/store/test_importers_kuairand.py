"""KuaiRand importer on the real sample and feature files, and on generated full-format logs."""

import polars as pl
import pytest

from laotie.store.importers import EVENT_SCHEMA, ITEM_SCHEMA, import_dataset
from laotie.store.importers import kuairand as kr
from laotie.store.repos import catalog_frames

LOG_COLUMNS = (
    "user_id,video_id,date,hourmin,time_ms,is_click,is_like,is_follow,is_comment,is_forward,"
    "is_hate,long_view,play_time_ms,duration_ms,profile_stay_time,comment_stay_time,"
    "is_profile_enter,is_rand,tab"
)


@pytest.fixture
def kuairand(shared_data):
    folder = shared_data / "kuairand"
    if not (folder / "kuairand_sample_200.csv").is_file():
        pytest.skip(f"KuaiRand sample not found in {folder}")
    return folder


@pytest.fixture
def small_kuairand(kuairand, tmp_path):
    """The real sample with the real feature rows of its users and videos only (fast import)."""
    folder = tmp_path / "kuairand"
    folder.mkdir()
    sample = pl.read_csv(kuairand / "kuairand_sample_200.csv")
    sample.write_csv(folder / "kuairand_sample_200.csv")
    users = pl.read_csv(kuairand / "user_features_pure.csv", infer_schema_length=0)
    users.filter(pl.col("user_id").cast(pl.Int64).is_in(sample["user_id"].implode())).write_csv(
        folder / "user_features_pure.csv"
    )
    videos = pl.read_csv(kuairand / "video_features_basic_pure.csv", infer_schema_length=0)
    videos.filter(pl.col("video_id").cast(pl.Int64).is_in(sample["video_id"].implode())).write_csv(
        folder / "video_features_basic_pure.csv"
    )
    return folder


def test_sample_rows_become_impressions_plays_and_watches(kuairand):
    sample = pl.read_csv(kuairand / "kuairand_sample_200.csv")
    events = pl.concat(list(kr.read_events(kuairand)))
    assert dict(events.schema) == EVENT_SCHEMA
    counts = dict(events["type"].value_counts().iter_rows())
    assert counts["impression"] == sample.height
    assert counts["play"] == sample["is_click"].sum()
    assert counts["watch"] == sample.filter(pl.col("duration_ms") > 0).height
    assert events["id"].n_unique() == events.height
    watches = events.filter(pl.col("type") == "watch")
    expected = sample.filter(pl.col("duration_ms") > 0)
    assert watches["watch_ms"].to_list() == expected["play_time_ms"].to_list()
    assert watches["duration_ms"].to_list() == expected["duration_ms"].to_list()
    first = events.row(0, named=True)
    row = sample.row(0, named=True)
    assert first["user"] == f"kr:u{row['user_id']}" and first["item"] == f"kr:v{row['video_id']}"
    # the extract has no time column: file order from the first day of the logs, 1 ms apart
    assert first["ts_ms"] == kr.FIRST_DAY_MS


def test_video_features_give_items_with_authors_tags_and_upload_day(kuairand):
    items = pl.concat(list(kr.read_items(kuairand)))
    raw = pl.read_csv(kuairand / "video_features_basic_pure.csv", infer_schema_length=0)
    assert dict(items.schema) == ITEM_SCHEMA
    assert items.height == raw.height == 7583
    assert items["creator"].n_unique() == raw["author_id"].n_unique()
    first = items.row(0, named=True)
    assert first["creator"] == f"kr:a{raw['author_id'][0]}"
    assert first["category"] == raw["tag"][0].split(",")[0]
    assert first["duration_ms"] == int(float(raw["video_duration"][0]))
    assert first["created_at_ms"] == 1_649_520_000_000  # 2022-04-10 00:00 Beijing
    assert items.filter(pl.col("tags").list.contains("type:AD")).height == 76


def test_user_features_give_users_with_activity_segment(kuairand):
    users = pl.concat(list(kr.read_users(kuairand)))
    assert users.height == 27285
    raw = pl.read_csv(kuairand / "user_features_pure.csv", infer_schema_length=0)
    assert users["segment"].to_list() == raw["user_active_degree"].to_list()
    assert '"register_days"' in users["attrs"][0]


def test_full_format_logs_stream_in_blocks_with_every_signal(tmp_path):
    folder = tmp_path / "KuaiRand-Pure"
    folder.mkdir()
    rows = []
    for n in range(30_000):
        date, hourmin = 20220408 + n % 3, (n % 24) * 100 + n % 60
        time_ms = 1_649_390_000_000 + n * 1000
        flags = [n % 2, n % 5 == 0, n % 7 == 0, n % 11 == 0, n % 13 == 0, n % 17 == 0, 0]
        play, duration = n % 90_000, 1_000 + n % 50_000
        rows.append(
            f"{n % 997},{n % 311},{date},{hourmin},{time_ms},"
            + ",".join(str(int(f)) for f in flags)
            + f",{play},{duration},0,0,0,0,1"
        )
    text = LOG_COLUMNS + "\n" + "\n".join(rows) + "\n"
    (folder / "log_standard_4_08_to_4_21_pure.csv").write_text(text)
    (folder / "log_random_4_22_to_5_08_pure.csv").write_text(LOG_COLUMNS + "\n" + rows[0] + "\n")
    seen_rows: list[int] = []
    frames = list(kr.read_events(folder, block_bytes=256 * 1024, on_rows=seen_rows.append))
    assert len(frames) > 4  # streamed: no frame holds the whole file
    assert sum(seen_rows) == 30_001
    assert max(seen_rows) < 10_000
    events = pl.concat(frames)
    counts = dict(events["type"].value_counts().iter_rows())
    assert counts["impression"] == 30_001
    assert counts["like"] == sum(1 for n in range(30_000) if n % 5 == 0) + 1
    assert counts["share"] == sum(1 for n in range(30_000) if n % 13 == 0) + 1
    assert counts["hate"] == sum(1 for n in range(30_000) if n % 17 == 0) + 1
    assert events.filter(pl.col("type") == "impression")["ts_ms"][1] == 1_649_390_001_000
    # the same row in two files is the same event: its ids repeat (row 0 has six events)
    assert events.height - events["id"].n_unique() == 6


def test_date_and_hourmin_give_the_time_when_time_ms_is_absent(tmp_path):
    folder = tmp_path / "k"
    folder.mkdir()
    (folder / "log_standard_x.csv").write_text(
        "user_id,video_id,date,hourmin,is_click,play_time_ms,duration_ms\n1,2,20220421,400,1,5,9\n"
    )
    events = pl.concat(list(kr.read_events(folder)))
    assert set(events["ts_ms"]) == {1_650_484_800_000}  # 2022-04-21 04:00 Beijing


def test_import_is_idempotent_and_creates_authors_items_and_users(services, small_kuairand):
    sample = pl.read_csv(small_kuairand / "kuairand_sample_200.csv")
    report = import_dataset(services.events, "kuairand", small_kuairand, items=services.catalog)
    assert report.rejected == 0, report.errors
    assert report.items == sample["video_id"].n_unique()
    assert report.placeholder_items == 0
    assert report.users == sample["user_id"].n_unique()
    screened = report.items  # the catalog door had trust screen each item: one event each
    assert report.accepted == services.events.count() - screened > sample.height
    again = import_dataset(services.events, "kuairand", small_kuairand, items=services.catalog)
    assert (again.accepted, again.items, again.users, again.creators) == (0, 0, 0, 0)
    assert again.duplicate == report.accepted
    with services.db.session() as session:
        items = catalog_frames.items_frame(session)
        assert items["creator_external_id"].str.starts_with("kr:a").all()
        users = catalog_frames.users_frame(session).filter(pl.col("external_id") != "system.trust")
        assert users["segment"].null_count() == 0  # every dataset user (not trust's actor)
    lake = services.lake.read(types=["watch"])
    assert lake.height == sample.filter(pl.col("duration_ms") > 0).height
