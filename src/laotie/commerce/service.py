"""The commerce service: its parts (payments, paid content, live rooms, shops, orders) built
on one database, clock and event log, and the figures read from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from laotie.commerce import reports
from laotie.commerce.content import PaidContent
from laotie.commerce.live import LiveRooms
from laotie.commerce.orders import Orders
from laotie.commerce.payments import PaymentProvider, Payments
from laotie.commerce.payouts import Payouts
from laotie.commerce.shop import Shops
from laotie.commerce.wechatpay import WechatPayConfig
from laotie.core.clock import Clock
from laotie.core.contracts import CatalogDoor, PurchaseBiller
from laotie.store.db import Database
from laotie.store.repos import catalog, ledger
from laotie.store.repos import commerce as repo


class CommerceService:
    """Coins, paid content, live rooms and shops on one ledger."""

    def __init__(
        self,
        db: Database,
        *,
        door: CatalogDoor,
        clock: Clock,
        timezone: str = "UTC",
        gift_creator_bp: int = 5_000,
        content_creator_bp: int = 7_000,
        provider: PaymentProvider | None = None,
        wechatpay: WechatPayConfig | None = None,
        emit: Callable[[Sequence[dict[str, Any]]], Any] | None = None,
        biller: PurchaseBiller | None = None,
    ) -> None:
        self.db = db
        common: dict[str, Any] = {"clock": clock, "timezone": timezone, "emit": emit}
        self.payments = Payments(db, provider=provider, wechatpay=wechatpay, **common)
        self.content = PaidContent(db, creator_bp=content_creator_bp, **common)
        self.live = LiveRooms(db, creator_bp=gift_creator_bp, door=door, **common)
        self.payouts = Payouts(db, **common)
        self.shops = Shops(db, **common)
        self.orders = Orders(db, payments=self.payments, biller=biller, **common)

    def summary(self) -> dict[str, Any]:
        """Revenue by line, GMV, paying users, ARPPU, funnels, creators' earnings."""
        return reports.summary(self.db)

    def revenue_by_day(
        self, *, start_day: str | None = None, end_day: str | None = None
    ) -> list[dict[str, Any]]:
        """Per local day: the platform's gifting, paid-content and commission revenue and
        goods GMV from the ledger, fen (what the KPI library reads)."""
        return reports.revenue_by_day(self.db, start_day=start_day, end_day=end_day)

    def reconcile(self) -> dict[str, Any]:
        """The ledger checked: balanced journals, zero trial balance, wallets = ledger."""
        return reports.reconcile(self.db)

    def wallet_fen(self, user_id: str) -> int:
        """A user's coin balance, fen."""
        with self.db.session() as session:
            user = catalog.get_user(session, external_id=user_id)
            return repo.wallet_balance(session, user_id=user.id)

    def creator_earnings_fen(self, creator_id: str) -> int:
        """What the platform owes a creator (their gift and unlock shares), fen."""
        with self.db.session() as session:
            creator = catalog.get_creator(session, external_id=creator_id)
            account = repo.creator_earnings(creator.id)
            return -ledger.balances_by_prefix(session, prefix=account).get(account, 0)
