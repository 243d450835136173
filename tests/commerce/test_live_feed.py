"""Live rooms in the feed: the ``live`` source recommends rooms live now, through the real feed
service, commerce and the HTTP API; ended rooms leave; the page caps their share."""

from __future__ import annotations

from laotie.commerce import RoomCreate
from laotie.core.catalog import CreatorCreate, ItemCreate, UserCreate
from laotie.store.repos import catalog


def _world(services) -> None:
    with services.db.session() as session:
        catalog.create_user(session, user=UserCreate(id="u1"))
        catalog.create_creator(session, creator=CreatorCreate(id="c1", name="C1"))
        for index in range(40):
            catalog.create_item(
                session,
                item=ItemCreate(
                    id=f"v{index}",
                    kind="video",
                    creator_id="c1",
                    title=f"视频{index}",
                    category="美食" if index % 2 else "数码",
                    duration_ms=30_000,
                ),
            )


def test_the_feed_recommends_rooms_live_now(client, services, make_headers) -> None:
    _world(services)
    app = make_headers("app")
    live = services.commerce.live
    for index, category in enumerate(("美食", "数码", "旅行", "数码", "美食")):
        live.start(RoomCreate(id=f"r{index}", creator_id="c1", title="直播", category=category))
    live.start(RoomCreate(id="r-old", creator_id="c1", title="已结束", category="美食"))
    live.end("r-old")
    for viewer in range(3):  # r1 has an audience
        with services.db.session() as session:
            catalog.create_user(session, user=UserCreate(id=f"w{viewer}"))
        live.presence("r1", f"w{viewer}", present=True)

    page = client.get("/v1/feed/u1?n=10&explain=true", headers=app).json()
    rooms = [e for e in page["entries"] if e.get("kind") == "live"]
    ids = [e["id"] for e in rooms]
    assert "r-old" not in ids
    assert 1 <= len(rooms) <= 2, ids  # rerank.kind_caps.live = 0.2 of a 10-item page
    assert all("live" in e["explain"]["sources"] for e in rooms)

    # the source itself ranks the audience first and drops a room the moment it ends
    signals = {s.item_id: s.viewers for s in live.live_signals()}
    assert len(signals) == 5 and max(signals.values()) == 3
    live.end("r1")
    assert len(live.live_signals()) == 4
    with services.db.session() as session:
        assert catalog.get_item(session, external_id="r1").status == "removed"


def test_live_rooms_are_read_once_per_snapshot_and_changes_here_show_at_once(
    services, monkeypatch
) -> None:
    """The feed asks for the live rooms on every request: a snapshot answers within its age,
    a change made through this process retires it, and an outside change shows once it ages."""
    from laotie.commerce import live_snapshot
    from laotie.store.repos import commerce as repo

    _world(services)
    live = services.commerce.live
    reads: list[int] = []
    read = repo.live_room_items

    def counted(session):
        reads.append(1)
        return read(session)

    monkeypatch.setattr(repo, "live_room_items", counted)
    live.start(RoomCreate(id="r0", creator_id="c1", title="直播", category="美食"))
    assert [s.viewers for s in live.live_signals()] == [0]
    for _ in range(5):
        live.live_signals()
    assert len(reads) == 1
    live.presence("r0", "u1", present=True)
    assert [s.viewers for s in live.live_signals()] == [1] and len(reads) == 2
    with services.db.session() as session:  # another process counts four more viewers
        repo.move_viewers(session, room_id=repo.live_room_items(session)[0][0].id, delta=4)
    assert [s.viewers for s in live.live_signals()] == [1]
    monkeypatch.setattr(live_snapshot, "SIGNALS_MAX_AGE_S", 0.0)
    assert [s.viewers for s in live.live_signals()] == [5]
