"""The one double-entry ledger that ads and commerce both post to, in integer fen.

Every transaction is one ``AdJournal`` row with postings that sum to zero (debit positive,
credit negative). Ads accounts: ``platform:cash`` (money received), ``platform:revenue`` (ads
sold) and ``advertiser:<id>`` (prepaid balance, a liability: its balance is minus the sum of
its postings). Commerce's accounts are named in ``store.repos.commerce``. Balances that
mirror an account (an advertiser's ``balance_fen``, a wallet) are moved by the caller in the
same database transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from laotie.core.errors import LaotieError
from laotie.store.tables import AdJournal, AdPosting

ACCOUNT_CASH = "platform:cash"
ACCOUNT_REVENUE = "platform:revenue"


def advertiser_account(advertiser_id: int) -> str:
    """Ledger account name of an advertiser's prepaid balance."""
    return f"advertiser:{advertiser_id}"


def post(
    session: Session,
    *,
    txn_key: str,
    kind: str,
    legs: Sequence[tuple[str, int]],
    ts_ms: int,
    day: str,
    advertiser_id: int | None = None,
    campaign_id: int | None = None,
    creative_id: int | None = None,
) -> AdJournal:
    """Record one transaction of ``legs`` (account, fen; debit positive) that must sum to 0.

    Legs of zero fen are left out; the journal's amount is the sum of the debits. The ids
    say which advertiser, campaign and creative an ads transaction belongs to (None in
    commerce).
    """
    legs = [(account, fen) for account, fen in legs if fen]
    if sum(fen for _, fen in legs) != 0:
        raise LaotieError(f"ledger legs of {txn_key!r} do not balance: {legs}")
    journal = AdJournal(
        txn_key=txn_key,
        kind=kind,
        advertiser_id=advertiser_id,
        campaign_id=campaign_id,
        creative_id=creative_id,
        amount_fen=sum(fen for _, fen in legs if fen > 0),
        day=day,
        ts_ms=ts_ms,
    )
    session.add(journal)
    session.flush()
    session.add_all(
        AdPosting(journal_id=journal.id, account=account, amount_fen=fen) for account, fen in legs
    )
    return journal


def postings(session: Session, *, journal_id: int) -> list[tuple[str, int]]:
    """The (account, fen) legs of a journal."""
    rows = session.execute(
        select(AdPosting.account, AdPosting.amount_fen)
        .where(AdPosting.journal_id == journal_id)
        .order_by(AdPosting.id)
    )
    return [(account, int(fen)) for account, fen in rows]


def reverse(
    session: Session, *, journal_id: int, txn_key: str, kind: str, ts_ms: int, day: str
) -> AdJournal:
    """Record the exact mirror of a journal (every leg negated) under ``txn_key``."""
    legs = [(account, -fen) for account, fen in postings(session, journal_id=journal_id)]
    return post(session, txn_key=txn_key, kind=kind, legs=legs, ts_ms=ts_ms, day=day)


def find_journal(session: Session, *, txn_key: str) -> AdJournal | None:
    """The ledger transaction recorded under ``txn_key``, if any."""
    return session.scalar(select(AdJournal).where(AdJournal.txn_key == txn_key))


def account_balances(session: Session) -> dict[str, int]:
    """Sum of postings per ledger account (debits positive)."""
    rows = session.execute(
        select(AdPosting.account, func.sum(AdPosting.amount_fen)).group_by(AdPosting.account)
    )
    return {account: int(total) for account, total in rows}


def balances_by_prefix(session: Session, *, prefix: str) -> dict[str, int]:
    """Sum of postings (debits positive) of every account whose name starts with ``prefix``."""
    rows = session.execute(
        select(AdPosting.account, func.sum(AdPosting.amount_fen))
        .where(AdPosting.account.startswith(prefix))
        .group_by(AdPosting.account)
    )
    return {account: int(total) for account, total in rows}


def unbalanced_journals(session: Session) -> list[int]:
    """Ids of ledger transactions whose postings do not sum to zero (should be none)."""
    rows = session.execute(
        select(AdPosting.journal_id)
        .group_by(AdPosting.journal_id)
        .having(func.sum(AdPosting.amount_fen) != 0)
    )
    return [r[0] for r in rows]


def day_totals(
    session: Session,
    *,
    accounts: Sequence[str],
    kinds: Sequence[str] | None = None,
    start_day: str | None = None,
    end_day: str | None = None,
) -> dict[tuple[str, str], int]:
    """Sum of postings (debits positive) per (journal day, account) for ``accounts``, from
    journals of ``kinds`` (all kinds when None) on days in ``start_day``..``end_day``."""
    query = (
        select(AdJournal.day, AdPosting.account, func.sum(AdPosting.amount_fen))
        .join(AdJournal, AdJournal.id == AdPosting.journal_id)
        .where(AdPosting.account.in_(accounts))
        .group_by(AdJournal.day, AdPosting.account)
    )
    if kinds is not None:
        query = query.where(AdJournal.kind.in_(kinds))
    if start_day is not None:
        query = query.where(AdJournal.day >= start_day)
    if end_day is not None:
        query = query.where(AdJournal.day <= end_day)
    return {(day, account): int(total) for day, account, total in session.execute(query)}
