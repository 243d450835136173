"""MovieLens importer on generated fixtures in both published layouts (ml-100k and CSV)."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from laotie.cli import app
from laotie.store.importers import EVENT_SCHEMA, import_dataset
from laotie.store.importers import movielens as ml
from laotie.store.repos import catalog, catalog_frames

GENRES = ["0"] * 19


def _flags(*names: str) -> str:
    flags = ["1" if g in names else "0" for g in ml.GENRES_100K]
    return "|".join(flags)


@pytest.fixture
def ml100k(tmp_path):
    folder = tmp_path / "ml-100k"
    folder.mkdir()
    ratings = [(1, 10, 4, 881250949), (1, 20, 3, 881250950), (2, 10, 5, 881250951)]
    ratings += [(3, 30, 1, 881250952)]
    (folder / "u.data").write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in ratings))
    items = [
        f"10|Toy Story (1995)|01-Jan-1995||http://x|{_flags('Animation', 'Comedy')}",
        f"20|Amélie (2001)|||http://x|{_flags('Romance')}",
        f"30|Heat (1995)|15-Dec-1995||http://x|{_flags('Action', 'Crime', 'Thriller')}",
    ]
    (folder / "u.item").write_bytes("\n".join(items).encode("latin-1") + b"\n")
    users = ["1|24|M|technician|85711", "2|53|F|other|94043", "3|23|M|writer|32067"]
    (folder / "u.user").write_text("\n".join(users) + "\n")
    return folder


@pytest.fixture
def ml_csv(tmp_path):
    folder = tmp_path / "ml-latest-small"
    folder.mkdir()
    (folder / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n"
        "2,1,0.5,964982224\n2,99,3.0,964983815\n"
    )
    (folder / "movies.csv").write_text(
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '3,"Grumpier Old Men, The (1995)",Comedy|Romance\n'
        "5,Untitled,(no genres listed)\n"
    )
    return folder


def test_100k_ratings_become_rate_events_with_their_value(ml100k):
    events = pl.concat(list(ml.read_events(ml100k)))
    assert dict(events.schema) == EVENT_SCHEMA
    assert events.height == 4
    assert set(events["type"]) == {"rate"}
    first = events.row(0, named=True)
    assert first["user"] == "ml100k:u1" and first["item"] == "ml100k:v10"
    assert first["value"] == 4.0 and first["ts_ms"] == 881250949000
    assert first["id"] == "ml100k:1:10:881250949000:rate"
    assert events["id"].n_unique() == 4


def test_100k_items_and_users_keep_titles_genres_and_demographics(ml100k):
    items = pl.concat(list(ml.read_items(ml100k))).sort("item")
    toy, amelie, heat = items.to_dicts()
    assert toy["title"] == "Toy Story (1995)" and toy["tags"] == ["Animation", "Comedy"]
    assert toy["category"] == "Animation"
    assert toy["created_at_ms"] == 788918400000  # 1995-01-01 UTC, the release date
    assert amelie["title"] == "Amélie (2001)"  # latin-1 decoded
    assert amelie["created_at_ms"] == 978307200000  # no release date: the title's year
    assert heat["caption"] == "Action|Crime|Thriller"
    users = pl.concat(list(ml.read_users(ml100k))).sort("user")
    assert users["user"].to_list() == ["ml100k:u1", "ml100k:u2", "ml100k:u3"]
    assert users.row(0, named=True)["segment"] == "technician"
    assert json.loads(users.row(1, named=True)["attrs"]) == {"age": "53", "gender": "F"}


def test_csv_layout_reads_quoted_titles_and_half_stars(ml_csv):
    events = pl.concat(list(ml.read_events(ml_csv)))
    assert events["value"].to_list() == [4.0, 4.5, 0.5, 3.0]
    assert events["user"].to_list()[0] == "ml:u1"
    items = {r["item"]: r for r in pl.concat(list(ml.read_items(ml_csv))).to_dicts()}
    assert items["ml:v3"]["title"] == "Grumpier Old Men, The (1995)"
    assert items["ml:v5"]["tags"] == [] and items["ml:v5"]["created_at_ms"] is None
    assert list(ml.read_users(ml_csv)) == []


def test_import_writes_catalog_and_events_once(services, ml_csv):
    report = import_dataset(services.events, "movielens", ml_csv, items=services.catalog)
    assert (report.items, report.placeholder_items, report.accepted) == (3, 1, 4)
    assert report.rejected == 0 and report.source_rows == 4
    again = import_dataset(services.events, "movielens", ml_csv, items=services.catalog)
    assert (again.items, again.users, again.accepted, again.duplicate) == (0, 0, 0, 4)
    frame = services.lake.read()
    screened = frame.filter(pl.col("type") == "trust_decision")
    assert screened.height == 4  # the catalog door had trust screen every item, once
    assert services.events.count() == 4 + screened.height
    rates = frame.filter(pl.col("type") != "trust_decision")
    assert sorted(rates["value"].to_list()) == [0.5, 3.0, 4.0, 4.5]
    with services.db.session() as session:
        items = catalog_frames.items_frame(session)
        assert items.height == 4  # three movies and a placeholder for movie 99
        users = catalog_frames.users_frame(session)["external_id"].to_list()
        assert sorted(users) == ["ml:u1", "ml:u2", "system.trust"]  # and trust's actor


def test_100k_import_creates_users_from_u_user(services, ml100k):
    report = import_dataset(services.events, "movielens", ml100k, items=services.catalog)
    assert (report.users, report.items, report.accepted) == (3, 3, 4)
    with services.db.session() as session:
        user = catalog.get_user(session, external_id="ml100k:u2")
        assert user.segment == "other" and user.region == "94043"


def test_cli_import_prints_a_json_report(services, ml_csv, settings):
    result = CliRunner().invoke(app, ["import", "movielens", str(ml_csv), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["accepted"] == 4 and report["dataset"] == "movielens"


def test_missing_ratings_are_a_clear_error(services, tmp_path):
    result = CliRunner().invoke(app, ["import", "movielens", str(tmp_path)])
    assert result.exit_code == 2
    assert "ratings.csv" in result.output
