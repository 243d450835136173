"""Payments: coin top-ups and order payments through one provider seam, settled by the
provider's verified notifications, exactly once per payment whatever the deliveries.

Without a provider configured a payment waits for ``settle`` called in-process (the
simulator plays the payer and the provider that way); with WeChat Pay configured it is
settled only by a notification whose signature verifies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from laotie.commerce import postings
from laotie.commerce._base import Area
from laotie.commerce.schemas import PaymentPublic, TopUpCreate
from laotie.commerce.wechatpay import PROVIDER, WechatPayClient, WechatPayConfig, parse_notification
from laotie.core.clock import Clock
from laotie.core.errors import Conflict, InvalidInput, ProviderError
from laotie.core.ids import new_id
from laotie.store.db import Database
from laotie.store.repos import catalog
from laotie.store.repos import commerce as repo
from laotie.store.tables import ComNotification, ComPayment, User

log = logging.getLogger(__name__)
IN_PROCESS = "in_process"


class PaymentProvider(Protocol):
    """Where payers pay: creates payments and refunds that it later confirms by notification."""

    name: str

    def create_native(self, *, out_trade_no: str, description: str, amount_fen: int) -> str:
        """Create a payment; the code the payer scans."""
        ...

    def refund(
        self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str
    ) -> dict[str, Any]:
        """Ask for a refund, confirmed later by notification."""
        ...

    def close_order(self, *, out_trade_no: str) -> None:
        """Close an unpaid payment so it can no longer be paid; ProviderError if it was."""
        ...


class WechatPayProvider(WechatPayClient):
    """WeChat Pay v3 as the payment provider."""

    name = PROVIDER


@dataclass(frozen=True)
class NotificationOutcome:
    """What a notification did: ``settled``, ``refunded``, ``duplicate`` or ``ignored``."""

    notification_id: str
    event_type: str
    outcome: str


#: called with (session, payment, ts_ms, day) when an order's payment settles or is refunded
OrderHook = Callable[[Session, ComPayment, int, str], None]


class Payments(Area):
    """Starts payments and settles them once, on the provider's word."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock,
        timezone: str = "UTC",
        provider: PaymentProvider | None = None,
        wechatpay: WechatPayConfig | None = None,
        emit: Callable[[Sequence[dict[str, Any]]], Any] | None = None,
    ) -> None:
        super().__init__(db, clock=clock, timezone=timezone, emit=emit)
        self.provider = provider
        self.wechatpay = wechatpay
        #: set by the shop: what a settled or refunded order payment does
        self.on_order_paid: OrderHook | None = None
        self.on_order_refunded: OrderHook | None = None
        #: called with the trade number after a payment settled and committed
        self.after_settled: Callable[[str], None] | None = None

    def record(
        self,
        session: Session,
        *,
        user_id: int,
        purpose: str,
        amount_fen: int,
        order_id: int | None = None,
    ) -> ComPayment:
        """Record a payment waiting for the payer (the provider is asked after commit)."""
        return repo.add(
            session,
            ComPayment(
                out_trade_no=new_id()[:32],
                provider=self.provider.name if self.provider else IN_PROCESS,
                purpose=purpose,
                user_id=user_id,
                order_id=order_id,
                amount_fen=amount_fen,
                status="created",
                created_at_ms=self.stamp()[0],
            ),
        )

    def ask_provider(self, out_trade_no: str, *, amount_fen: int, description: str) -> str | None:
        """Ask the provider for a committed payment, outside any database transaction (no
        lock is held over the network): the code the payer scans, None without a provider.
        A provider failure marks the payment failed and is raised."""
        if self.provider is None:
            return None
        try:
            return self.provider.create_native(
                out_trade_no=out_trade_no, description=description, amount_fen=amount_fen
            )
        except ProviderError:
            with self.db.session() as session:
                payment = repo.payment(session, out_trade_no=out_trade_no)
                if payment.status == "created":
                    payment.status = "failed"
            raise

    def start_top_up(self, request: TopUpCreate) -> PaymentPublic:
        """A user asks to buy coins: a payment waiting for the payer."""
        with self.db.session() as session:
            user = catalog.get_user(session, external_id=request.user_id)
            payment = self.record(
                session, user_id=user.id, purpose="topup", amount_fen=request.amount_fen
            )
        code_url = self.ask_provider(
            payment.out_trade_no, amount_fen=payment.amount_fen, description="laotie coins"
        )
        return _public(payment, request.user_id, code_url)

    def payment(self, out_trade_no: str) -> PaymentPublic:
        """A payment by our trade number."""
        with self.db.session() as session:
            payment = repo.payment(session, out_trade_no=out_trade_no)
            payer = session.get(User, payment.user_id)
            return _public(payment, payer.external_id if payer else "", None)

    def settle(self, *, out_trade_no: str, transaction_id: str, amount_fen: int) -> bool:
        """The provider says the payer paid ``amount_fen``: move the money once (True the
        first time, False when already settled); a different amount is refused."""
        with self.db.session() as session:
            settled = self._settle(
                session,
                out_trade_no=out_trade_no,
                transaction_id=transaction_id,
                amount_fen=amount_fen,
            )
        if settled and self.after_settled is not None:
            self.after_settled(out_trade_no)
        return settled

    def _settle(
        self, session: Session, *, out_trade_no: str, transaction_id: str, amount_fen: int
    ) -> bool:
        payment = repo.payment(session, out_trade_no=out_trade_no)
        if payment.amount_fen != amount_fen:
            raise Conflict(
                f"payment {out_trade_no} is for {payment.amount_fen} fen, provider says "
                f"{amount_fen}",
                field="amount.total",
                limit=payment.amount_fen,
            )
        if payment.status != "created":
            return False
        ts_ms, day = self.stamp()
        payment.status, payment.transaction_id, payment.paid_at_ms = "paid", transaction_id, ts_ms
        if payment.purpose == "topup":
            journal = postings.top_up(
                session,
                user_id=payment.user_id,
                amount_fen=amount_fen,
                txn_key=f"topup:{out_trade_no}",
                ts_ms=ts_ms,
                day=day,
            )
            payment.journal_id = journal.id
        elif self.on_order_paid is not None:
            self.on_order_paid(session, payment, ts_ms, day)
        return True

    def refund_settled(self, *, out_trade_no: str, refund_fen: int) -> bool:
        """The provider says a payment was refunded in full: reverse it once (a top-up is
        charged back, an order refunded). Partial refunds are refused."""
        with self.db.session() as session:
            return self._refunded(session, out_trade_no=out_trade_no, refund_fen=refund_fen)

    def _refunded(self, session: Session, *, out_trade_no: str, refund_fen: int) -> bool:
        payment = repo.payment(session, out_trade_no=out_trade_no)
        if payment.status == "refunded":
            return False
        if payment.status != "paid":
            raise Conflict(f"payment {out_trade_no} is {payment.status}, not paid", field="status")
        if refund_fen != payment.amount_fen:
            raise InvalidInput(
                f"only full refunds are supported: {refund_fen} of {payment.amount_fen} fen",
                field="amount.refund",
                limit=payment.amount_fen,
            )
        ts_ms, day = self.stamp()
        payment.status = "refunded"
        if payment.purpose == "topup":
            postings.charge_back(
                session,
                user_id=payment.user_id,
                amount_fen=payment.amount_fen,
                txn_key=f"chargeback:{out_trade_no}",
                ts_ms=ts_ms,
                day=day,
            )
        elif self.on_order_refunded is not None:
            self.on_order_refunded(session, payment, ts_ms, day)
        return True

    def request_refund(self, session: Session, payment: ComPayment, *, reason: str) -> bool:
        """Ask the provider to refund a payment: True when it is already reversed (no
        provider: settled in-process), False when the provider's notification will do it."""
        if self.provider is None:
            return self._refunded(
                session, out_trade_no=payment.out_trade_no, refund_fen=payment.amount_fen
            )
        self.provider.refund(
            out_trade_no=payment.out_trade_no,
            out_refund_no=f"R{payment.out_trade_no}"[:64],
            refund_fen=payment.amount_fen,
            total_fen=payment.amount_fen,
            reason=reason,
        )
        return False

    def handle_wechatpay(self, headers: Mapping[str, str], body: bytes) -> NotificationOutcome:
        """A WeChat Pay notification: verified, decrypted, applied once by its id.

        Raises Unauthenticated (bad signature) or InvalidInput (not a notification), which
        the webhook answers with a FAIL status so WeChat Pay delivers it again.
        """
        if self.wechatpay is None:
            raise InvalidInput("WeChat Pay is not configured", field="wechatpay_mchid")
        ts_ms, _ = self.stamp()
        note = parse_notification(self.wechatpay, headers, body, now_s=ts_ms // 1000)
        resource = note.resource
        with self.db.session() as session:
            if repo.notification_seen(session, notification_id=note.id) is not None:
                return NotificationOutcome(note.id, note.event_type, "duplicate")
            out_trade_no = str(resource.get("out_trade_no", ""))
            outcome = self._apply(session, note.event_type, resource, out_trade_no)
            repo.add(
                session,
                ComNotification(
                    notification_id=note.id,
                    provider=PROVIDER,
                    event_type=note.event_type,
                    out_trade_no=out_trade_no,
                    outcome=outcome,
                    received_at_ms=ts_ms,
                ),
            )
        if outcome == "settled" and self.after_settled is not None:
            self.after_settled(out_trade_no)
        return NotificationOutcome(note.id, note.event_type, outcome)

    def _apply(
        self, session: Session, event_type: str, resource: dict[str, Any], out_trade_no: str
    ) -> str:
        config = self.wechatpay
        assert config is not None
        if resource.get("mchid", config.mchid) != config.mchid:
            raise InvalidInput("notification is for another merchant", field="resource.mchid")
        amount = resource.get("amount") or {}
        if event_type == "TRANSACTION.SUCCESS" and resource.get("trade_state") == "SUCCESS":
            settled = self._settle(
                session,
                out_trade_no=out_trade_no,
                transaction_id=str(resource.get("transaction_id", "")),
                amount_fen=int(amount.get("total", -1)),
            )
            return "settled" if settled else "duplicate"
        if event_type == "REFUND.SUCCESS" and resource.get("refund_status") == "SUCCESS":
            refunded = self._refunded(
                session, out_trade_no=out_trade_no, refund_fen=int(amount.get("refund", -1))
            )
            return "refunded" if refunded else "duplicate"
        log.info("WeChat Pay notification %s for %s needs no action", event_type, out_trade_no)
        return "ignored"


def _public(payment: ComPayment, payer: str, code_url: str | None) -> PaymentPublic:
    return PaymentPublic(
        out_trade_no=payment.out_trade_no,
        user_id=payer,
        purpose=payment.purpose,
        amount_fen=payment.amount_fen,
        status=payment.status,
        code_url=code_url,
    )
