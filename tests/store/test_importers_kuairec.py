"""KuaiRec importer on the real side tables and a generated matrix in the published format."""

import polars as pl
import pytest

from laotie.store.importers import EVENT_SCHEMA, import_dataset
from laotie.store.importers import kuairec as kc
from laotie.store.repos import catalog

MATRIX_HEADER = "user_id,video_id,play_duration,video_duration,time,date,timestamp,watch_ratio"


@pytest.fixture
def kuairec(shared_data):
    folder = shared_data / "kuairec"
    if not (folder / "kuairec_caption_category.csv").is_file():
        pytest.skip(f"KuaiRec side tables not found in {folder}")
    return folder


def _matrix(users: list[int], videos: list[int]) -> str:
    lines = [MATRIX_HEADER]
    n = 0
    for u in users:
        for v in videos:
            play, duration = 1_000 + 997 * n % 40_000, 5_000 + 113 * n % 30_000
            stamp = 1_593_898_000.125 + n
            lines.append(
                f"{u},{v},{play},{duration},2020-07-05 05:26:40.125,20200705,{stamp},"
                f"{play / duration}"
            )
            n += 1
    lines.append(f"{users[0]},{videos[0]},3000,6000,,20200706,,0.5")  # no timestamp: the date
    lines.append(f"{users[0]},{videos[1]},3000,6000,,,,0.5")  # no time at all: skipped
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_kuairec(kuairec, tmp_path):
    """A generated small matrix over real users and videos, with their real side-table rows."""
    folder = tmp_path / "KuaiRec" / "data"
    folder.mkdir(parents=True)
    captions = pl.read_csv(kuairec / "kuairec_caption_category.csv", infer_schema_length=0)
    captions.head(20).write_csv(folder / "kuairec_caption_category.csv")
    categories = pl.read_csv(kuairec / "item_categories.csv", infer_schema_length=0)
    categories.head(20).write_csv(folder / "item_categories.csv")
    users = pl.read_csv(kuairec / "user_features.csv", infer_schema_length=0)
    users.head(5).write_csv(folder / "user_features.csv")
    videos = [int(v) for v in captions["video_id"].head(20)] + [99_999]  # one without captions
    (folder / "small_matrix.csv").write_text(
        _matrix([int(u) for u in users["user_id"][:5]], videos)
    )
    return folder


def test_caption_table_gives_titles_category_paths_and_topic_tags(kuairec):
    items = pl.concat(list(kc.read_items(kuairec)))
    raw = pl.read_csv(kuairec / "kuairec_caption_category.csv", infer_schema_length=0)
    assert items.height == raw.height == 10_728
    by_id = {r["item"]: r for r in items.to_dicts()}
    four = by_id["kc:v4"]
    assert four["category"] == "时尚/营销售卖/女装"
    assert four["tags"][:3] == ["五爱市场", "感谢快手我要上热门", "搞笑"]
    assert "feat:" in four["tags"][-1]  # item_categories.csv feature ids follow the topics
    assert by_id["kc:v7"]["category"] == "颜值"  # UNKNOWN levels are dropped
    assert by_id["kc:v1"]["title"] == "KuaiRec video 1"  # no caption, no cover text
    assert "\r" not in by_id["kc:v1378"]["title"]  # a caption with a bare CR inside
    assert items["title"].str.len_chars().max() <= 200
    assert set(items["creator"]) == {"kc:aunknown"}


def test_user_table_gives_users(kuairec):
    users = pl.concat(list(kc.read_users(kuairec)))
    assert users.height == 7176
    assert users["user"][0] == "kc:u0"


def test_matrix_rows_become_impression_play_and_watch(small_kuairec):
    frames = list(kc.read_events(small_kuairec))
    events = pl.concat(frames)
    assert dict(events.schema) == EVENT_SCHEMA
    matrix = pl.read_csv(small_kuairec / "small_matrix.csv")
    kept = matrix.height - 1
    assert events.filter(pl.col("type") == "impression").height == kept
    watches = events.filter(pl.col("type") == "watch")
    assert watches.height == kept
    ratio = (watches["watch_ms"] / watches["duration_ms"]).to_list()
    expected = matrix.filter(pl.col("date").is_not_null())["watch_ratio"].to_list()
    assert ratio == pytest.approx(expected, rel=1e-3)
    plays = events.filter(pl.col("type") == "play").height
    valid = matrix.filter(pl.col("date").is_not_null()).filter(
        pl.when(pl.col("video_duration") <= 7_000)
        .then(pl.col("play_duration") >= pl.col("video_duration"))
        .otherwise(pl.col("play_duration") > 7_000)
    )
    assert plays == valid.height
    first = watches.row(0, named=True)
    assert first["ts_ms"] == 1_593_898_000_125
    assert 1_593_964_800_000 in set(events["ts_ms"])  # 2020-07-06 00:00 Beijing, from date


def test_import_creates_items_users_and_a_placeholder_then_nothing_twice(services, small_kuairec):
    report = import_dataset(services.events, "kuairec", small_kuairec, items=services.catalog)
    assert report.rejected == 0, report.errors
    assert (report.items, report.placeholder_items, report.users) == (20, 1, 5)
    assert report.source_rows == 5 * 21 + 2
    again = import_dataset(services.events, "kuairec", small_kuairec, items=services.catalog)
    assert (again.accepted, again.items, again.users) == (0, 0, 0)
    screened = report.items + report.placeholder_items  # one trust decision event each
    assert again.duplicate == report.accepted == services.events.count() - screened
    with services.db.session() as session:
        item = catalog.get_item(session, external_id="kc:v4")
        assert item.category == "时尚/营销售卖/女装"
        assert catalog.get_item(session, external_id="kc:v99999").title == "kc:v99999"
