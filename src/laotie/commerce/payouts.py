"""Payouts: what the platform owes a creator (gift and unlock shares) or a merchant (goods sold,
less commission) leaves the platform's cash, never more than is owed.

A payout is one ledger journal (``payout``): the owed account is debited, ``platform:cash``
credited. The owed balance is read only after a no-op UPDATE of the creator's or advertiser's
row, which takes that row's write lock (PostgreSQL) or the database's (SQLite, whose reads
outside a write would not be isolated), so two payouts at once cannot both spend the same
balance; an idempotency key pays at most once.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from laotie.commerce._base import Area
from laotie.commerce.schemas import PayoutCreate, PayoutPublic
from laotie.core.errors import Conflict, InsufficientBalance, NotFound
from laotie.store.repos import commerce as repo
from laotie.store.repos import ledger
from laotie.store.repos.ledger import ACCOUNT_CASH
from laotie.store.tables import AdAdvertiser, AdJournal, Creator


class Payouts(Area):
    """Pay creators and merchants what the ledger says they are owed."""

    def pay_out(self, request: PayoutCreate) -> PayoutPublic:
        """Pay ``amount_fen`` once per idempotency key; InsufficientBalance, moving nothing,
        when more is asked than is owed."""
        txn_key = f"payout:{request.idempotency_key}"
        try:
            with self.db.session() as session:
                return self._pay(session, request, txn_key)
        except IntegrityError:  # a concurrent payout with the same key won
            with self.db.session() as session:
                return self._pay(session, request, txn_key)

    def owed_fen(self, kind: str, account_id: str) -> int:
        """What the platform owes a creator or merchant now, fen."""
        with self.db.session() as session:
            account = self._account(session, kind, account_id, lock=False)
            return -ledger.balances_by_prefix(session, prefix=account).get(account, 0)

    @staticmethod
    def _account(session: Session, kind: str, account_id: str, *, lock: bool) -> str:
        table: type[Creator] | type[AdAdvertiser] = Creator if kind == "creator" else AdAdvertiser
        pk = session.scalar(select(table.id).where(table.external_id == account_id))
        if pk is None:
            raise NotFound(f"{kind} {account_id!r} not found", field="account_id")
        if lock:  # serialise payouts of this account before its balance is read
            session.execute(update(table).where(table.id == pk).values(id=table.id))
        return repo.creator_earnings(pk) if kind == "creator" else repo.merchant_payable(pk)

    def _pay(self, session: Session, request: PayoutCreate, txn_key: str) -> PayoutPublic:
        account = self._account(session, request.kind, request.account_id, lock=True)
        found = session.scalars(select(AdJournal).where(AdJournal.txn_key == txn_key)).first()
        owed = -ledger.balances_by_prefix(session, prefix=account).get(account, 0)
        if found is not None:
            legs = dict(ledger.postings(session, journal_id=found.id))
            if legs.get(account) != request.amount_fen:
                raise Conflict(
                    f"idempotency key {request.idempotency_key!r} was used for another payout",
                    field="idempotency_key",
                )
            return PayoutPublic(
                id=found.id, **request.model_dump(exclude={"idempotency_key"}), owed_fen=owed
            )
        if request.amount_fen > owed:
            raise InsufficientBalance(
                f"{request.kind} {request.account_id!r} is owed {owed} fen, "
                f"{request.amount_fen} asked",
                field="amount_fen",
                limit=owed,
            )
        ts_ms, day = self.stamp()
        journal = ledger.post(
            session,
            txn_key=txn_key,
            kind="payout",
            legs=[(account, request.amount_fen), (ACCOUNT_CASH, -request.amount_fen)],
            ts_ms=ts_ms,
            day=day,
        )
        return PayoutPublic(
            id=journal.id,
            **request.model_dump(exclude={"idempotency_key"}),
            owed_fen=owed - request.amount_fen,
        )
