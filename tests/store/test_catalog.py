import polars as pl
import pytest

from laotie.core.catalog import ContainerCreate, CreatorCreate, ItemCreate, ItemUpdate, UserCreate
from laotie.core.errors import Conflict, InvalidInput, NotFound
from laotie.store.repos import catalog, catalog_frames


def _world(session):
    catalog.create_creator(session, creator=CreatorCreate(id="c1", name="张三工作室"))
    catalog.create_series(
        session,
        series=ContainerCreate(
            id="s1", creator_id="c1", title="重生之我在长安", category="短剧/古装"
        ),
    )
    catalog.create_novel(session, novel=ContainerCreate(id="n1", creator_id="c1", title="西游记"))


def test_items_of_every_kind_round_trip(services):
    with services.db.session() as s:
        _world(s)
        catalog.create_item(
            s,
            item=ItemCreate(
                id="v1",
                kind="video",
                creator_id="c1",
                title="做饭",
                duration_ms=30_000,
                tags=["美食"],
            ),
        )
        catalog.create_item(
            s,
            item=ItemCreate(
                id="e1", kind="episode", creator_id="c1", parent_id="s1", position=1, title="第1集"
            ),
        )
        catalog.create_item(
            s,
            item=ItemCreate(
                id="ch1",
                kind="chapter",
                creator_id="c1",
                parent_id="n1",
                position=1,
                title="第一回",
                caption="诗曰",
            ),
        )
        catalog.create_item(
            s, item=ItemCreate(id="g1", kind="game", creator_id="c1", title="消消乐")
        )
    with services.db.session() as s:
        episode = catalog.item_public(s, catalog.get_item(s, external_id="e1"))
        assert episode.parent_id == "s1" and episode.position == 1
        frame = catalog_frames.items_frame(s)
    assert frame.height == 4
    assert set(frame["kind"]) == {"video", "episode", "chapter", "game"}
    assert frame.filter(frame["external_id"] == "v1")["tags"].to_list() == [["美食"]]


def test_item_columns_frame_reads_plain_columns_in_id_order(services):
    with services.db.session() as s:
        _world(s)
        catalog.create_item(
            s, item=ItemCreate(id="g1", kind="game", creator_id="c1", title="消消乐")
        )
        schema = {"id": pl.Int64, "external_id": pl.Utf8, "kind": pl.Utf8, "title": pl.Utf8}
        frame = catalog_frames.item_columns_frame(s, schema)
        full = catalog_frames.items_frame(s)
        with pytest.raises(ValueError, match="no column tagz"):
            catalog_frames.item_columns_frame(s, {"id": pl.Int64, "tagz": pl.Utf8})
    assert frame.schema == pl.Schema(schema)
    assert frame["id"].to_list() == sorted(frame["id"].to_list())
    assert frame.equals(full.select(list(schema)))


def test_episode_needs_parent_and_free_position(services):
    with services.db.session() as s:
        _world(s)
        with pytest.raises(InvalidInput) as info:
            catalog.create_item(
                s, item=ItemCreate(id="e9", kind="episode", creator_id="c1", title="x")
            )
        assert info.value.field == "parent_id"
        catalog.create_item(
            s,
            item=ItemCreate(
                id="e1", kind="episode", creator_id="c1", parent_id="s1", position=1, title="1"
            ),
        )
        with pytest.raises(Conflict):
            catalog.create_item(
                s,
                item=ItemCreate(
                    id="e2", kind="episode", creator_id="c1", parent_id="s1", position=1, title="2"
                ),
            )


def test_unknown_creator_and_duplicate_ids(services):
    with services.db.session() as s:
        with pytest.raises(NotFound):
            catalog.create_item(
                s, item=ItemCreate(id="v1", kind="video", creator_id="nobody", title="x")
            )
        catalog.create_user(s, user=UserCreate(id="u1"))
        with pytest.raises(Conflict):
            catalog.create_user(s, user=UserCreate(id="u1"))


def test_cursor_pagination_visits_every_item_once(services):
    with services.db.session() as s:
        _world(s)
        catalog.bulk_create_items(
            s,
            items=[
                ItemCreate(id=f"v{i:03d}", kind="video", creator_id="c1", title=f"t{i}")
                for i in range(23)
            ],
        )
    seen, cursor = [], None
    while True:
        with services.db.session() as s:
            page = catalog.list_items(s, cursor=cursor, limit=5, kind="video")
        seen += [i.id for i in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"v{i:03d}" for i in range(23)]


def test_bad_cursor_names_the_parameter(services):
    with services.db.session() as s, pytest.raises(InvalidInput) as info:
        catalog.list_items(s, cursor="!!nope")
    assert info.value.field == "cursor"


def test_update_and_remove(services):
    with services.db.session() as s:
        _world(s)
        catalog.create_item(s, item=ItemCreate(id="v1", kind="video", creator_id="c1", title="old"))
        catalog.update_item(
            s, external_id="v1", update=ItemUpdate(title="new", aigc_status="declared")
        )
        catalog.delete_item(s, external_id="v1")
        row = catalog.get_item(s, external_id="v1")
        assert (row.title, row.aigc_status, row.status) == ("new", "declared", "removed")


def test_follows(services):
    with services.db.session() as s:
        _world(s)
        ids = catalog.ensure_users(s, external_ids=["u1", "u2"])
        creator = catalog.get_creator(s, external_id="c1").id
        catalog.follow(s, user_id=ids["u1"], creator_id=creator)
        catalog.follow(s, user_id=ids["u1"], creator_id=creator)
        assert catalog_frames.follows_frame(s).height == 1
        catalog.unfollow(s, user_id=ids["u1"], creator_id=creator)
        assert catalog_frames.follows_frame(s).height == 0
