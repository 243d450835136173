"""Live rooms: a creator goes live and ends; viewers join and leave; viewers send gifts paid
in coins, split between the creator and the platform; an operator refunds a gift exactly.

A room is also a catalog item of kind ``live`` with the room's id: it enters through the
catalog door (trust screens its title before the feed may show it), is distributed while the
room is live and withdrawn (``removed``) when it ends; an AI-host room's item is declared AIGC.

The live-now source ranks rooms that are live by viewers, gifting and the user's interests;
the feed reads the rooms through a snapshot (``live_snapshot``) that every change made here
retires.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.commerce import postings
from laotie.commerce._base import Area
from laotie.commerce.live_snapshot import LiveSnapshot
from laotie.commerce.schemas import GiftCreate, GiftPublic, RoomCreate, RoomPublic
from laotie.core.catalog import ItemCreate, ItemUpdate
from laotie.core.contracts import CatalogDoor, LiveRoomSignal, live_score
from laotie.core.errors import Conflict, PermissionDenied
from laotie.core.kinds import AigcStatus, ItemKind, ItemStatus
from laotie.store.repos import catalog
from laotie.store.repos import commerce as repo
from laotie.store.tables import ComGift, ComRoom, ComRoomViewer, Creator


class LiveRooms(Area):
    """Rooms, presence and gifts."""

    def __init__(self, *args: Any, creator_bp: int, door: CatalogDoor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.creator_bp = creator_bp
        self.door = door
        self._snapshot = LiveSnapshot()

    def start(self, room: RoomCreate, *, scope: str | None = None) -> RoomPublic:
        """A creator goes live; an AI-host room is declared AIGC."""
        if scope is not None and scope != room.creator_id:
            raise PermissionDenied(
                f"this key is scoped to creator {scope!r} and may not start a room for "
                f"{room.creator_id!r}",
                field="scope",
            )
        with self.db.session() as session:
            if repo.exists_external_id(session, ComRoom, external_id=room.id):
                raise Conflict(f"room {room.id!r} already exists", field="id")
            catalog.get_creator(session, external_id=room.creator_id)
        ts_ms, _ = self.stamp()
        aigc = AigcStatus.DECLARED if room.ai_host else AigcStatus.NONE
        self.door.add_item(
            ItemCreate(
                id=room.id,
                kind=ItemKind.LIVE,
                creator_id=room.creator_id,
                title=room.title,
                category=room.category,
                tags=["live", "AI主播"] if room.ai_host else ["live"],
                aigc_status=aigc,
                created_at_ms=ts_ms,
            ),
            declared=room.ai_host,
        )
        with self.db.session() as session:
            creator = catalog.get_creator(session, external_id=room.creator_id)
            row = repo.add(
                session,
                ComRoom(
                    external_id=room.id,
                    creator_id=creator.id,
                    title=room.title,
                    category=room.category,
                    status="live",
                    ai_host=room.ai_host,
                    aigc_status=aigc,
                    viewers=0,
                    peak_viewers=0,
                    started_at_ms=ts_ms,
                ),
            )
            public = self._public(session, row)
        self._snapshot.changed()
        return public

    def _room(self, session: Session, room_id: str, scope: str | None = None) -> ComRoom:
        row = repo.by_external_id(session, ComRoom, external_id=room_id, field="room_id")
        if scope is not None:
            creator = session.get(Creator, row.creator_id)
            if creator is None or creator.external_id != scope:
                raise PermissionDenied(
                    f"this key is scoped to creator {scope!r}; room {room_id!r} is not theirs",
                    field="scope",
                )
        return row

    def end(self, room_id: str, *, scope: str | None = None) -> RoomPublic:
        """End a live room (ending an ended room changes nothing)."""
        with self.db.session() as session:
            row = self._room(session, room_id, scope)
            if row.status == "live":
                row.status, row.ended_at_ms, row.viewers = "ended", self.stamp()[0], 0
                catalog.update_item(
                    session,
                    external_id=row.external_id,
                    update=ItemUpdate(status=ItemStatus.REMOVED),
                )
            public = self._public(session, row)
        self._snapshot.changed()
        return public

    def check_host(self, room_id: str, *, scope: str | None = None) -> None:
        """Refuse an AI-host stream for a room that is not live, declares no AI host, or
        (``scope``) belongs to another creator."""
        with self.db.session() as session:
            row = self._room(session, room_id, scope)
            if not row.ai_host:
                raise Conflict(
                    f"room {room_id!r} did not declare an AI host; start it with ai_host true",
                    field="ai_host",
                )
            if row.status != "live":
                raise Conflict(f"room {room_id!r} is not live", field="room_id")

    def presence(self, room_id: str, user_id: str, *, present: bool) -> RoomPublic:
        """A viewer joins (``present``) or leaves; repeats change nothing."""
        with self.db.session() as session:
            row = self._room(session, room_id)
            if present and row.status != "live":
                raise Conflict(f"room {room_id!r} is not live", field="room_id")
            user = catalog.get_user(session, external_id=user_id)
            seat = repo.room_viewer(session, room_id=row.id, user_id=user.id)
            if seat is None and present:
                repo.add(
                    session,
                    ComRoomViewer(
                        room_id=row.id, user_id=user.id, present=True, joined_at_ms=self.stamp()[0]
                    ),
                )
                repo.move_viewers(session, room_id=row.id, delta=1)
            elif seat is not None and seat.present != present:
                seat.present = present
                repo.move_viewers(session, room_id=row.id, delta=1 if present else -1)
            session.flush()
            session.refresh(row)
            public = self._public(session, row)
        self._snapshot.changed()
        return public

    def room(self, room_id: str) -> tuple[RoomPublic, list[GiftPublic]]:
        """A room's page: the room with its audience, and its latest gifts."""
        with self.db.session() as session:
            row = self._room(session, room_id)
            gifts = [
                _gift_public(g, row.external_id)
                for g in repo.recent_gifts(session, room_id=row.id, limit=50)
            ]
            return self._public(session, row), gifts

    def send_gift(self, room_id: str, request: GiftCreate) -> GiftPublic:
        """Send a gift once per idempotency key; InsufficientBalance if the coins are short."""
        txn_key = f"gift:{request.idempotency_key}"
        try:
            with self.db.session() as session:
                result, event = self._send(session, room_id, request, txn_key)
        except IntegrityError:
            with self.db.session() as session:
                result, event = self._send(session, room_id, request, txn_key)
            if result.created:
                raise Conflict("gift raced with another request", field="idempotency_key") from None
        self._snapshot.changed()
        if event:
            self.emit([event])
        return result

    def _send(
        self, session: Session, room_id: str, request: GiftCreate, txn_key: str
    ) -> tuple[GiftPublic, dict[str, Any] | None]:
        row = self._room(session, room_id)
        user = catalog.get_user(session, external_id=request.user_id)
        found = repo.gift(session, txn_key=txn_key)
        if found is not None:
            if (found.user_id, found.room_id, found.price_fen) != (
                user.id,
                row.id,
                request.price_fen,
            ):
                raise Conflict(
                    f"idempotency key {request.idempotency_key!r} was used for another gift",
                    field="idempotency_key",
                )
            return _gift_public(found, row.external_id), None
        if row.status != "live":
            raise Conflict(f"room {room_id!r} is not live", field="room_id")
        ts_ms, day = self.stamp()
        journal = postings.spend_coins(
            session,
            user_id=user.id,
            amount_fen=request.price_fen,
            creator_id=row.creator_id,
            creator_bp=self.creator_bp,
            revenue_account=repo.REVENUE_GIFTING,
            kind="gift",
            txn_key=txn_key,
            ts_ms=ts_ms,
            day=day,
        )
        gift = repo.add(
            session,
            ComGift(
                txn_key=txn_key,
                user_id=user.id,
                room_id=row.id,
                creator_id=row.creator_id,
                gift=request.gift,
                price_fen=request.price_fen,
                creator_fen=postings.share(request.price_fen, self.creator_bp),
                journal_id=journal.id,
                status="sent",
                ts_ms=ts_ms,
            ),
        )
        event = {
            "id": f"gift-{gift.id}",
            "type": "purchase",
            "user_id": user.external_id,
            "ts_ms": ts_ms,
            "amount_fen": request.price_fen,
            "ref": f"room:{row.external_id}",
        }
        public = _gift_public(gift, row.external_id)
        public.created = True
        return public, event

    def refund_gift(self, gift_id: int) -> GiftPublic:
        """Reverse a gift exactly (operator); refunding twice changes nothing."""
        with self.db.session() as session:
            gift = repo.gift_by_id(session, gift_id=gift_id)
            room = session.get(ComRoom, gift.room_id)
            if gift.status == "sent":
                ts_ms, day = self.stamp()
                postings.refund_coins(
                    session,
                    journal_id=gift.journal_id,
                    user_id=gift.user_id,
                    txn_key=f"refund:{gift.txn_key}",
                    kind="gift_refund",
                    ts_ms=ts_ms,
                    day=day,
                )
                gift.status = "refunded"
            public = _gift_public(gift, room.external_id if room else "")
        self._snapshot.changed()
        return public

    def live_now(self, *, interests: Sequence[str] = (), n: int = 10) -> list[RoomPublic]:
        """Rooms live now, best first by ``core.contracts.live_score`` (viewers, gifting, and
        the room's category among ``interests``); at most ``n``."""
        wanted = set(interests)
        with self.db.session() as session:
            rooms = self._publics(session, repo.live_rooms(session))

        def score(room: RoomPublic) -> float:
            interested = bool(room.category) and room.category in wanted
            return live_score(viewers=room.viewers, gifts_fen=room.gifts_fen, interested=interested)

        return sorted(rooms, key=lambda r: (-score(r), r.id))[:n]

    def live_signals(self) -> list[LiveRoomSignal]:
        """The rooms live now as the feed's ``live`` source reads them (``LiveRooms`` contract),
        through the snapshot."""
        return self._snapshot.get(self._read_signals)

    def _read_signals(self) -> list[LiveRoomSignal]:
        with self.db.session() as session:
            rows = repo.live_room_items(session)
            totals = repo.gift_totals(session, room_ids=[room.id for room, _ in rows])
            return [
                LiveRoomSignal(
                    item_id=item_id,
                    viewers=room.viewers,
                    gifts_fen=totals.get(room.id, (0, 0))[1],
                )
                for room, item_id in rows
            ]

    def _public(self, session: Session, row: ComRoom) -> RoomPublic:
        return self._publics(session, [row])[0]

    def _publics(self, session: Session, rows: Sequence[ComRoom]) -> list[RoomPublic]:
        """Rooms with their creators and gift totals, read in one query each (live-now ranks
        every live room on each request, so no query per room)."""
        if not rows:
            return []
        totals = repo.gift_totals(session, room_ids=[r.id for r in rows])
        creators = repo.creator_external_ids(session, creator_ids=[r.creator_id for r in rows])
        publics = []
        for row in rows:
            gifts, fen = totals.get(row.id, (0, 0))
            publics.append(
                RoomPublic(
                    id=row.external_id,
                    creator_id=creators.get(row.creator_id, ""),
                    title=row.title,
                    category=row.category,
                    status=row.status,
                    ai_host=row.ai_host,
                    aigc_status=row.aigc_status,
                    viewers=row.viewers,
                    peak_viewers=row.peak_viewers,
                    gifts=gifts,
                    gifts_fen=fen,
                    started_at_ms=row.started_at_ms,
                    ended_at_ms=row.ended_at_ms,
                )
            )
        return publics


def _gift_public(gift: ComGift, room_id: str) -> GiftPublic:
    return GiftPublic(
        id=gift.id,
        room_id=room_id,
        gift=gift.gift,
        price_fen=gift.price_fen,
        creator_fen=gift.creator_fen,
        status=gift.status,
    )
