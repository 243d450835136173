"""E-commerce orders: stock taken at creation (a conditional UPDATE, so concurrent orders can
never take stock below zero), paid through the payment provider, shipped by the merchant,
expired when left unpaid, refunded by an operator (stock returned, the payment's journal
reversed exactly). GMV and commission are attributed to the order's ``source``: a video
(``item:``), a live room (``room:``) or an ad impression (``ad:``), whose ``ad_conversion``
event the ads area records (a purchase-goal campaign is billed through the ``biller``)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.commerce import postings
from laotie.commerce._base import Area
from laotie.commerce.payments import Payments
from laotie.commerce.schemas import OrderCreate, OrderPublic
from laotie.commerce.shop import scoped, scoped_shop
from laotie.core.contracts import PurchaseBiller
from laotie.core.errors import Conflict, PermissionDenied, ProviderError
from laotie.store.repos import catalog, ledger
from laotie.store.repos import commerce as repo
from laotie.store.tables import ComOrder, ComPayment, ComProduct, ComRoom, Item, User

log = logging.getLogger(__name__)
#: how long an order may wait for its payment before ``expire_unpaid`` releases its stock
ORDER_TTL_MS = 30 * 60 * 1000


class Orders(Area):
    """Orders of shops' products; money through ``payments``."""

    def __init__(
        self,
        *args: Any,
        payments: Payments,
        biller: PurchaseBiller | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.payments = payments
        self.biller = biller
        payments.on_order_paid = self._order_paid
        payments.on_order_refunded = self._order_refunded
        payments.after_settled = self.after_paid

    def create_order(self, order: OrderCreate) -> OrderPublic:
        """Take stock and start the payment; Conflict when stock is short. Creating the
        same order id again returns it unchanged."""
        try:
            with self.db.session() as session:
                created, description = self._create(session, order)
        except IntegrityError:
            with self.db.session() as session:
                found = repo.by_external_id(session, ComOrder, external_id=order.id, field="id")
                return self._public(session, found)
        if description is None or created.out_trade_no is None:
            return created
        try:
            created.code_url = self.payments.ask_provider(
                created.out_trade_no, amount_fen=created.amount_fen, description=description
            )
        except ProviderError:
            self._cancel(order.id)
            raise
        return created

    def _cancel(self, order_id: str) -> None:
        """An order whose payment could not start: cancelled, its stock returned."""
        with self.db.session() as session:
            row = repo.by_external_id(session, ComOrder, external_id=order_id, field="id")
            if row.status == "created":
                repo.return_stock(session, product_id=row.product_id, quantity=row.quantity)
                row.status = "cancelled"

    def _create(self, session: Session, order: OrderCreate) -> tuple[OrderPublic, str | None]:
        """The order (found again, or created with its payment recorded) and, when new, the
        description to ask the provider with."""
        if repo.exists_external_id(session, ComOrder, external_id=order.id):
            found = repo.by_external_id(session, ComOrder, external_id=order.id, field="id")
            if found.quantity != order.quantity:
                raise Conflict(f"order {order.id!r} exists with another quantity", field="id")
            return self._public(session, found), None
        user = catalog.get_user(session, external_id=order.user_id)
        product = repo.by_external_id(
            session, ComProduct, external_id=order.product_id, field="product_id"
        )
        if product.status != "on_sale":
            raise Conflict(f"product {product.external_id!r} is not on sale", field="product_id")
        shop = repo.shop_row(session, shop_id=product.shop_id)
        creator_id = self._attributed_creator(session, order.source)
        if not repo.take_stock(session, product_id=product.id, quantity=order.quantity):
            session.refresh(product)
            raise Conflict(
                f"product {product.external_id!r} has {product.stock} in stock, "
                f"{order.quantity} ordered",
                field="quantity",
                limit=product.stock,
            )
        amount = product.price_fen * order.quantity
        row = repo.add(
            session,
            ComOrder(
                external_id=order.id,
                user_id=user.id,
                product_id=product.id,
                shop_id=shop.id,
                quantity=order.quantity,
                amount_fen=amount,
                commission_fen=postings.share(amount, shop.commission_bp),
                source=order.source,
                creator_id=creator_id,
                status="created",
                created_at_ms=self.stamp()[0],
            ),
        )
        payment = self.payments.record(
            session, user_id=user.id, purpose="order", amount_fen=amount, order_id=row.id
        )
        return self._public(session, row, payment=payment), product.title

    @staticmethod
    def _attributed_creator(session: Session, source: str) -> int | None:
        kind, _, ref = source.partition(":")
        if kind == "item":
            return repo.by_external_id(session, Item, external_id=ref, field="source").creator_id
        if kind == "room":
            return repo.by_external_id(session, ComRoom, external_id=ref, field="source").creator_id
        return None

    def _order_paid(self, session: Session, payment: ComPayment, ts_ms: int, day: str) -> None:
        order = repo.order_row(session, order_id=int(payment.order_id or 0))
        shop = repo.shop_row(session, shop_id=order.shop_id)
        journal = postings.order_paid(
            session,
            amount_fen=order.amount_fen,
            commission_fen=order.commission_fen,
            merchant_id=shop.advertiser_id,
            txn_key=f"order:{payment.out_trade_no}",
            ts_ms=ts_ms,
            day=day,
        )
        payment.journal_id = order.journal_id = journal.id
        order.status, order.paid_at_ms = "paid", ts_ms

    def _order_refunded(self, session: Session, payment: ComPayment, ts_ms: int, day: str) -> None:
        order = repo.order_row(session, order_id=int(payment.order_id or 0))
        ledger.reverse(
            session,
            journal_id=int(order.journal_id or 0),
            txn_key=f"order_refund:{payment.out_trade_no}",
            kind="order_refund",
            ts_ms=ts_ms,
            day=day,
        )
        repo.return_stock(session, product_id=order.product_id, quantity=order.quantity)
        order.status, order.refunded_at_ms = "refunded", ts_ms

    def after_paid(self, out_trade_no: str) -> None:
        """Log the purchase (and the ad conversion that led to it) of a settled order."""
        with self.db.session() as session:
            payment = repo.payment(session, out_trade_no=out_trade_no)
            if payment.purpose != "order" or payment.status != "paid":
                return
            order = repo.order_row(session, order_id=int(payment.order_id or 0))
            user = session.get(User, order.user_id)
            user_ext = user.external_id if user else ""
            source, ts = order.source, int(order.paid_at_ms or 0)
            amount, order_ext, user_pk = order.amount_fen, order.external_id, order.user_id
        if source.startswith("ad:"):
            self._bill_ad(source[3:], order_id=order_ext, user_pk=user_pk, ts_ms=ts)
        events: list[dict[str, Any]] = [
            {
                "id": f"order-{order_ext}",
                "type": "purchase",
                "user_id": user_ext,
                "ts_ms": ts,
                "amount_fen": amount,
                "ref": source[:128],
            }
        ]
        if source.startswith("ad:"):
            events.append(
                {
                    "id": f"order-conv-{order_ext}",
                    "type": "ad_conversion",
                    "user_id": user_ext,
                    "ts_ms": ts,
                    "ref": source[3:],
                }
            )
        self.emit(events)

    def _bill_ad(self, impression_id: str, *, order_id: str, user_pk: int, ts_ms: int) -> None:
        """Bill a purchase-goal ad for the paid order it led to, before its ``ad_conversion``
        event is logged (the ads area refuses that event for such campaigns). The order stands
        whatever happens here; a failure is logged and the charge is not retried."""
        if self.biller is None:
            return
        try:
            self.biller.bill_purchase(
                impression_id, order_id=order_id, user_id=user_pk, ts_ms=ts_ms
            )
        except Exception:
            log.exception("billing the ad of order %s failed", order_id)

    def expire_unpaid(self, *, older_than_ms: int = ORDER_TTL_MS, limit: int = 1000) -> int:
        """Expire orders left unpaid for ``older_than_ms``: the provider closes each payment
        first (so it can no longer be paid; one it refuses, e.g. paid meanwhile, is left for
        its notification), then the order is ``expired`` and its stock returned. Returns how
        many expired."""
        with self.db.session() as session:
            cutoff = self.stamp()[0] - older_than_ms
            stale = [
                (order.id, payment.out_trade_no)
                for order in repo.stale_orders(session, created_before_ms=cutoff, limit=limit)
                if (payment := repo.payment_of_order(session, order_id=order.id)) is not None
            ]
        expired = 0
        for order_pk, out_trade_no in stale:
            if self.payments.provider is not None:
                try:
                    self.payments.provider.close_order(out_trade_no=out_trade_no)
                except ProviderError as exc:
                    log.warning("payment %s not closed, order kept: %s", out_trade_no, exc)
                    continue
            with self.db.session() as session:
                payment = repo.payment(session, out_trade_no=out_trade_no)
                if not repo.close_payment(session, payment_id=payment.id):
                    continue  # settled while we were closing it: the order stands
                order = repo.order_row(session, order_id=order_pk)
                repo.return_stock(session, product_id=order.product_id, quantity=order.quantity)
                order.status = "expired"
                expired += 1
        return expired

    def ship(self, order_id: str, *, scope: str | None = None) -> OrderPublic:
        """The merchant ships a paid order."""
        with self.db.session() as session:
            order = repo.by_external_id(session, ComOrder, external_id=order_id, field="order_id")
            scoped(session, repo.shop_row(session, shop_id=order.shop_id), scope)
            if order.status != "paid":
                raise Conflict(f"order {order_id!r} is {order.status}, not paid", field="status")
            order.status, order.shipped_at_ms = "shipped", self.stamp()[0]
            return self._public(session, order)

    def refund(self, order_id: str, *, reason: str = "operator refund") -> OrderPublic:
        """Refund a paid or shipped order (operator): through the provider, which confirms
        by notification, or at once without a provider."""
        with self.db.session() as session:
            order = repo.by_external_id(session, ComOrder, external_id=order_id, field="order_id")
            if order.status == "refunded":
                return self._public(session, order)
            if order.status not in ("paid", "shipped"):
                raise Conflict(f"order {order_id!r} is {order.status}, not paid", field="status")
            payment = repo.payment_of_order(session, order_id=order.id)
            if payment is None:
                raise Conflict(f"order {order_id!r} has no payment", field="order_id")
            self.payments.request_refund(session, payment, reason=reason)
            return self._public(session, order)

    def orders(
        self, *, shop_id: str | None = None, user_id: str | None = None, scope: str | None = None
    ) -> list[OrderPublic]:
        """Orders of a shop (merchant) or a user, newest first."""
        with self.db.session() as session:
            shop_pk = scoped_shop(session, shop_id, scope).id if shop_id else None
            user_pk = catalog.get_user(session, external_id=user_id).id if user_id else None
            if shop_pk is None and scope is not None:
                raise PermissionDenied("a merchant key lists orders of one shop", field="shop_id")
            return [
                self._public(session, o)
                for o in repo.orders(session, shop_id=shop_pk, user_id=user_pk)
            ]

    def _public(
        self, session: Session, order: ComOrder, *, payment: ComPayment | None = None
    ) -> OrderPublic:
        """``payment``, when the caller holds the order's, spares looking it up."""
        if payment is None:
            payment = repo.payment_of_order(session, order_id=order.id)
        user = session.get(User, order.user_id)
        product = repo.product_row(session, product_id=order.product_id)
        return OrderPublic(
            id=order.external_id,
            user_id=user.external_id if user else "",
            product_id=product.external_id,
            quantity=order.quantity,
            amount_fen=order.amount_fen,
            commission_fen=order.commission_fen,
            source=order.source,
            status=order.status,
            out_trade_no=payment.out_trade_no if payment else None,
        )
