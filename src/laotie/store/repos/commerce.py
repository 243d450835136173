"""Commerce repository: multi-leg ledger transactions and the balances that mirror them.

Commerce money moves in the one ledger of ``store.repos.ledger`` (debit positive, credit
negative, each journal summing to zero) with an empty advertiser. Accounts:
``platform:cash`` (money the payment provider settled to us), ``user:<id>:coins`` (a user's
prepaid coins, a liability), ``creator:<id>:earnings`` (owed to a creator),
``merchant:<advertiser id>:payable`` (owed to a merchant for goods sold) and the platform's
revenue lines ``platform:revenue:gifting``, ``platform:revenue:paid_content`` and
``platform:revenue:commission`` (next to the ads line ``platform:revenue``), plus
``platform:chargeback_loss`` for refunded top-ups whose coins were already spent.

Balances that must not go below zero (wallets, stock) move with conditional UPDATEs
(``... WHERE balance >= n``), so concurrent requests can never overdraw them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from laotie.core.errors import NotFound
from laotie.store.tables import (
    AdOutcome,
    ComGift,
    ComNotification,
    ComOrder,
    ComPayment,
    ComPaywall,
    ComProduct,
    ComProductCard,
    ComRoom,
    ComRoomViewer,
    ComShop,
    ComUnlock,
    ComWallet,
    Creator,
    Item,
    Series,
)

T = TypeVar("T")

REVENUE_GIFTING = "platform:revenue:gifting"
REVENUE_PAID_CONTENT = "platform:revenue:paid_content"
REVENUE_COMMISSION = "platform:revenue:commission"
CHARGEBACK_LOSS = "platform:chargeback_loss"


def user_coins(user_id: int) -> str:
    """Ledger account of a user's coins."""
    return f"user:{user_id}:coins"


def creator_earnings(creator_id: int) -> str:
    """Ledger account of what the platform owes a creator."""
    return f"creator:{creator_id}:earnings"


def merchant_payable(advertiser_id: int) -> str:
    """Ledger account of what the platform owes a merchant for goods sold."""
    return f"merchant:{advertiser_id}:payable"


def wallet_balance(session: Session, *, user_id: int) -> int:
    """A user's coin balance in fen (0 without a wallet)."""
    return int(
        session.scalar(select(ComWallet.balance_fen).where(ComWallet.user_id == user_id)) or 0
    )


def credit_wallet(session: Session, *, user_id: int, amount_fen: int) -> None:
    """Add ``amount_fen`` to a user's wallet, creating it on first use."""
    moved = session.execute(
        update(ComWallet)
        .where(ComWallet.user_id == user_id)
        .values(balance_fen=ComWallet.balance_fen + amount_fen)
        .execution_options(synchronize_session=False)
    )
    if getattr(moved, "rowcount", 0) != 1:
        session.add(ComWallet(user_id=user_id, balance_fen=amount_fen))
        session.flush()


def debit_wallet(session: Session, *, user_id: int, amount_fen: int) -> bool:
    """Take ``amount_fen`` from a wallet if it holds that much (all or nothing)."""
    moved = session.execute(
        update(ComWallet)
        .where(ComWallet.user_id == user_id, ComWallet.balance_fen >= amount_fen)
        .values(balance_fen=ComWallet.balance_fen - amount_fen)
        .execution_options(synchronize_session=False)
    )
    return getattr(moved, "rowcount", 0) == 1


def take_stock(session: Session, *, product_id: int, quantity: int) -> bool:
    """Take ``quantity`` units of a product if that many are in stock (all or nothing)."""
    moved = session.execute(
        update(ComProduct)
        .where(ComProduct.id == product_id, ComProduct.stock >= quantity)
        .values(stock=ComProduct.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return getattr(moved, "rowcount", 0) == 1


def return_stock(session: Session, *, product_id: int, quantity: int) -> None:
    """Put ``quantity`` units back in stock (a cancelled or refunded order)."""
    session.execute(
        update(ComProduct)
        .where(ComProduct.id == product_id)
        .values(stock=ComProduct.stock + quantity)
        .execution_options(synchronize_session=False)
    )


def by_external_id(session: Session, table: type[T], *, external_id: str, field: str) -> T:
    """The row of ``table`` with this external id; NotFound naming ``field`` otherwise."""
    column: Any = getattr(table, "external_id")  # noqa: B009 - every table passed has one
    row: T | None = session.scalars(select(table).where(column == external_id)).first()
    if row is None:
        raise NotFound(f"{field} {external_id!r} not found", field=field)
    return row


def exists_external_id(session: Session, table: type[Any], *, external_id: str) -> bool:
    """Whether a row of ``table`` has this external id."""
    return session.scalar(select(table.id).where(table.external_id == external_id)) is not None


def add(session: Session, row: T) -> T:
    """Insert a row and give it its id."""
    session.add(row)
    session.flush()
    return row


def payment(session: Session, *, out_trade_no: str) -> ComPayment:
    """The payment with our trade number; NotFound otherwise."""
    row = session.scalar(select(ComPayment).where(ComPayment.out_trade_no == out_trade_no))
    if row is None:
        raise NotFound(f"payment {out_trade_no!r} not found", field="out_trade_no")
    return row


def payment_of_order(session: Session, *, order_id: int) -> ComPayment | None:
    """The payment of an order, if one was started."""
    return session.scalar(
        select(ComPayment).where(ComPayment.order_id == order_id, ComPayment.purpose == "order")
    )


def notification_seen(session: Session, *, notification_id: str) -> ComNotification | None:
    """The notification accepted under this id, if any."""
    return session.scalar(
        select(ComNotification).where(ComNotification.notification_id == notification_id)
    )


def paywall(session: Session, *, series_id: int) -> ComPaywall | None:
    """A series' paywall, if it has one."""
    return session.get(ComPaywall, series_id)


def unlock(session: Session, *, user_id: int, scope: str) -> ComUnlock | None:
    """A user's unlock of a scope (``item:<id>`` or ``series:<id>``), if any."""
    return session.scalar(
        select(ComUnlock).where(ComUnlock.user_id == user_id, ComUnlock.scope == scope)
    )


def unlock_by_impression(session: Session, *, impression_id: str) -> ComUnlock | None:
    """The unlock a rewarded ad impression already paid for, if any."""
    return session.scalar(select(ComUnlock).where(ComUnlock.ad_impression_id == impression_id))


def ad_impression_user(session: Session, *, impression_id: str) -> int | None:
    """The user an ad impression was recorded for, if it was recorded."""
    return session.scalar(
        select(AdOutcome.user_id).where(
            AdOutcome.kind == "impression", AdOutcome.impression_id == impression_id
        )
    )


def series_episodes(session: Session, *, series_id: int) -> list[Item]:
    """A series' published episodes in order."""
    return list(
        session.scalars(
            select(Item)
            .where(Item.series_id == series_id, Item.status == "published")
            .order_by(Item.position)
        )
    )


def series_row(session: Session, *, series_id: int) -> Series:
    """The series with this internal id."""
    row = session.get(Series, series_id)
    if row is None:
        raise NotFound(f"series #{series_id} not found", field="series_id")
    return row


def gift(session: Session, *, txn_key: str) -> ComGift | None:
    """The gift recorded under an idempotency key, if any."""
    return session.scalar(select(ComGift).where(ComGift.txn_key == txn_key))


def gift_by_id(session: Session, *, gift_id: int) -> ComGift:
    """A gift by id; NotFound otherwise."""
    row = session.get(ComGift, gift_id)
    if row is None:
        raise NotFound(f"gift #{gift_id} not found", field="gift_id")
    return row


def room_viewer(session: Session, *, room_id: int, user_id: int) -> ComRoomViewer | None:
    """A user's presence row in a room, if they ever joined."""
    return session.get(ComRoomViewer, (room_id, user_id))


def move_viewers(session: Session, *, room_id: int, delta: int) -> None:
    """Add ``delta`` to a room's viewer count and keep its peak."""
    session.execute(
        update(ComRoom)
        .where(ComRoom.id == room_id)
        # CASE, not the two-argument max(): PostgreSQL calls that greatest()
        .values(viewers=case((ComRoom.viewers + delta < 0, 0), else_=ComRoom.viewers + delta))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(ComRoom)
        .where(ComRoom.id == room_id, ComRoom.peak_viewers < ComRoom.viewers)
        .values(peak_viewers=ComRoom.viewers)
        .execution_options(synchronize_session=False)
    )


def live_rooms(session: Session) -> list[ComRoom]:
    """Every room live now."""
    return list(session.scalars(select(ComRoom).where(ComRoom.status == "live")))


def live_room_items(session: Session) -> list[tuple[ComRoom, int]]:
    """Every room live now with the internal id of its catalog item (same external id)."""
    rows = session.execute(
        select(ComRoom, Item.id)
        .join(Item, Item.external_id == ComRoom.external_id)
        .where(ComRoom.status == "live")
    )
    return [(room, int(item_id)) for room, item_id in rows]


def gift_totals(session: Session, *, room_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(gifts, fen) of sent, unrefunded gifts per room."""
    rows = session.execute(
        select(ComGift.room_id, func.count(), func.sum(ComGift.price_fen))
        .where(ComGift.room_id.in_(room_ids), ComGift.status == "sent")
        .group_by(ComGift.room_id)
    )
    return {room: (int(n), int(fen or 0)) for room, n, fen in rows}


def recent_gifts(session: Session, *, room_id: int, limit: int) -> list[ComGift]:
    """A room's latest gifts, newest first."""
    return list(
        session.scalars(
            select(ComGift)
            .where(ComGift.room_id == room_id)
            .order_by(ComGift.id.desc())
            .limit(limit)
        )
    )


def products_of_shop(session: Session, *, shop_id: int) -> list[ComProduct]:
    """A shop's products, oldest first."""
    return list(
        session.scalars(
            select(ComProduct).where(ComProduct.shop_id == shop_id).order_by(ComProduct.id)
        )
    )


def cards(session: Session, *, target: str) -> list[ComProduct]:
    """Products carded on a target (``item:<ext id>`` or ``room:<ext id>``)."""
    return list(
        session.scalars(
            select(ComProduct)
            .join(ComProductCard, ComProductCard.product_id == ComProduct.id)
            .where(ComProductCard.target == target)
            .order_by(ComProduct.id)
        )
    )


def card_exists(session: Session, *, product_id: int, target: str) -> bool:
    """Whether a product is already carded on a target."""
    return session.get(ComProductCard, (product_id, target)) is not None


def stale_orders(session: Session, *, created_before_ms: int, limit: int) -> list[ComOrder]:
    """Unpaid orders created before ``created_before_ms``, oldest first."""
    return list(
        session.scalars(
            select(ComOrder)
            .where(ComOrder.status == "created", ComOrder.created_at_ms < created_before_ms)
            .order_by(ComOrder.created_at_ms)
            .limit(limit)
        )
    )


def close_payment(session: Session, *, payment_id: int) -> bool:
    """Mark a still-unpaid payment closed; False when it was settled (or closed) meanwhile."""
    done = session.execute(
        update(ComPayment)
        .where(ComPayment.id == payment_id, ComPayment.status == "created")
        .values(status="closed")
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def order_row(session: Session, *, order_id: int) -> ComOrder:
    """An order by internal id."""
    row = session.get(ComOrder, order_id)
    if row is None:
        raise NotFound(f"order #{order_id} not found", field="order_id")
    return row


def shop_row(session: Session, *, shop_id: int) -> ComShop:
    """A shop by internal id."""
    row = session.get(ComShop, shop_id)
    if row is None:
        raise NotFound(f"shop #{shop_id} not found", field="shop_id")
    return row


def product_row(session: Session, *, product_id: int) -> ComProduct:
    """A product by internal id."""
    row = session.get(ComProduct, product_id)
    if row is None:
        raise NotFound(f"product #{product_id} not found", field="product_id")
    return row


def orders(
    session: Session, *, shop_id: int | None = None, user_id: int | None = None, limit: int = 100
) -> list[ComOrder]:
    """Orders, newest first, of a shop and/or a user."""
    query = select(ComOrder)
    if shop_id is not None:
        query = query.where(ComOrder.shop_id == shop_id)
    if user_id is not None:
        query = query.where(ComOrder.user_id == user_id)
    return list(session.scalars(query.order_by(ComOrder.id.desc()).limit(limit)))


def paid_orders(session: Session) -> list[tuple[int, int, int, str, int | None, str]]:
    """(user, amount, commission, source, creator, status) of every order that was paid."""
    rows = session.execute(
        select(
            ComOrder.user_id,
            ComOrder.amount_fen,
            ComOrder.commission_fen,
            ComOrder.source,
            ComOrder.creator_id,
            ComOrder.status,
        ).where(ComOrder.paid_at_ms.is_not(None))
    )
    return [(int(u), int(a), int(c), s, cr, st) for u, a, c, s, cr, st in rows]


def order_counts(session: Session) -> dict[str, int]:
    """Orders per status."""
    rows = session.execute(select(ComOrder.status, func.count()).group_by(ComOrder.status))
    return {status: int(n) for status, n in rows}


def paying_users(session: Session) -> dict[int, int]:
    """Fen each user paid through the provider (settled payments, net of refunds)."""
    rows = session.execute(
        select(ComPayment.user_id, func.sum(ComPayment.amount_fen))
        .where(ComPayment.status == "paid")
        .group_by(ComPayment.user_id)
    )
    return {int(user): int(fen) for user, fen in rows}


def wallets(session: Session) -> dict[int, int]:
    """Every wallet's balance, fen."""
    return {
        int(u): int(b) for u, b in session.execute(select(ComWallet.user_id, ComWallet.balance_fen))
    }


def unlock_counts(session: Session) -> dict[str, int]:
    """Unlocks per method."""
    rows = session.execute(select(ComUnlock.method, func.count()).group_by(ComUnlock.method))
    return {method: int(n) for method, n in rows}


def creator_external_ids(session: Session, *, creator_ids: Sequence[int]) -> dict[int, str]:
    """External id of each creator named by internal id."""
    rows = session.execute(
        select(Creator.id, Creator.external_id).where(Creator.id.in_(creator_ids))
    )
    return {int(pk): ext for pk, ext in rows}


def episodes(session: Session, *, external_ids: Sequence[str]) -> list[Item]:
    """The episodes (items with a series) among ``external_ids``."""
    return list(
        session.scalars(
            select(Item).where(Item.external_id.in_(external_ids), Item.series_id.is_not(None))
        )
    )


def paywalls(session: Session, *, series_ids: Sequence[int]) -> dict[int, ComPaywall]:
    """The paywalls of these series, by series id."""
    rows = session.scalars(select(ComPaywall).where(ComPaywall.series_id.in_(series_ids)))
    return {row.series_id: row for row in rows}


def user_scopes(session: Session, *, user_id: int, series_ids: Sequence[int]) -> set[str]:
    """Every scope a user unlocked in these series."""
    return set(
        session.scalars(
            select(ComUnlock.scope).where(
                ComUnlock.user_id == user_id, ComUnlock.series_id.in_(series_ids)
            )
        )
    )
