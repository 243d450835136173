"""The posting rules of commerce: which accounts each transaction moves, in integer fen.

Every rule writes one balanced journal in the one ledger (``store.repos.ledger``) and,
where a balance mirrors an account (wallets), moves it in the same database transaction.
Reversals (refunds, chargebacks) post the exact mirror of the original journal.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from laotie.core.errors import InsufficientBalance
from laotie.store.repos import commerce as repo
from laotie.store.repos import ledger
from laotie.store.repos.ledger import ACCOUNT_CASH
from laotie.store.tables import AdJournal

BP = 10_000


def share(amount_fen: int, basis_points: int) -> int:
    """``basis_points`` of ``amount_fen``, rounded down to the fen."""
    return amount_fen * basis_points // BP


def top_up(
    session: Session, *, user_id: int, amount_fen: int, txn_key: str, ts_ms: int, day: str
) -> AdJournal:
    """Money settled by the provider becomes the user's coins."""
    repo.credit_wallet(session, user_id=user_id, amount_fen=amount_fen)
    return ledger.post(
        session,
        txn_key=txn_key,
        kind="coin_topup",
        legs=[(ACCOUNT_CASH, amount_fen), (repo.user_coins(user_id), -amount_fen)],
        ts_ms=ts_ms,
        day=day,
    )


def spend_coins(
    session: Session,
    *,
    user_id: int,
    amount_fen: int,
    creator_id: int,
    creator_bp: int,
    revenue_account: str,
    kind: str,
    txn_key: str,
    ts_ms: int,
    day: str,
) -> AdJournal:
    """Coins go to a creator (their share) and a platform revenue line (the rest);
    InsufficientBalance, moving nothing, if the wallet holds less than ``amount_fen``."""
    if not repo.debit_wallet(session, user_id=user_id, amount_fen=amount_fen):
        raise InsufficientBalance(
            f"wallet holds {repo.wallet_balance(session, user_id=user_id)} fen, "
            f"{amount_fen} needed",
            field="price_fen",
            limit=amount_fen,
        )
    creator_fen = share(amount_fen, creator_bp)
    return ledger.post(
        session,
        txn_key=txn_key,
        kind=kind,
        legs=[
            (repo.user_coins(user_id), amount_fen),
            (repo.creator_earnings(creator_id), -creator_fen),
            (revenue_account, creator_fen - amount_fen),
        ],
        ts_ms=ts_ms,
        day=day,
    )


def refund_coins(
    session: Session,
    *,
    journal_id: int,
    user_id: int,
    txn_key: str,
    kind: str,
    ts_ms: int,
    day: str,
) -> AdJournal:
    """Reverse a coin spend exactly: the user gets the coins back, creator and platform
    give back their shares."""
    journal = ledger.reverse(
        session, journal_id=journal_id, txn_key=txn_key, kind=kind, ts_ms=ts_ms, day=day
    )
    repo.credit_wallet(session, user_id=user_id, amount_fen=journal.amount_fen)
    return journal


def charge_back(
    session: Session, *, user_id: int, amount_fen: int, txn_key: str, ts_ms: int, day: str
) -> AdJournal:
    """A refunded top-up: cash goes back in full; the coins still held are taken back, the
    part already spent becomes a chargeback loss."""
    held = repo.wallet_balance(session, user_id=user_id)
    taken = min(held, amount_fen)
    if taken and not repo.debit_wallet(session, user_id=user_id, amount_fen=taken):
        taken = 0  # spent concurrently: all of it is a loss, none of it double-counted
    return ledger.post(
        session,
        txn_key=txn_key,
        kind="chargeback",
        legs=[
            (repo.user_coins(user_id), taken),
            (repo.CHARGEBACK_LOSS, amount_fen - taken),
            (ACCOUNT_CASH, -amount_fen),
        ],
        ts_ms=ts_ms,
        day=day,
    )


def order_paid(
    session: Session,
    *,
    amount_fen: int,
    commission_fen: int,
    merchant_id: int,
    txn_key: str,
    ts_ms: int,
    day: str,
) -> AdJournal:
    """A paid order: cash in; the merchant is owed the price less the platform's commission."""
    return ledger.post(
        session,
        txn_key=txn_key,
        kind="order_paid",
        legs=[
            (ACCOUNT_CASH, amount_fen),
            (repo.merchant_payable(merchant_id), commission_fen - amount_fen),
            (repo.REVENUE_COMMISSION, -commission_fen),
        ],
        ts_ms=ts_ms,
        day=day,
    )
