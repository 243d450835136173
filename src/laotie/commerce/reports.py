"""Commerce figures read from the ledger and the order book: revenue by line, GMV, paying
users, ARPPU, the order funnel, creators' earnings, and a reconciliation of it all."""

from __future__ import annotations

from typing import Any

from laotie.store.db import Database
from laotie.store.repos import commerce as repo
from laotie.store.repos import ledger

#: the platform's revenue lines and the ledger account each is credited to
REVENUE_LINES = {
    "ads": ledger.ACCOUNT_REVENUE,
    "live_gifting": repo.REVENUE_GIFTING,
    "ecommerce_commission": repo.REVENUE_COMMISSION,
    "paid_content": repo.REVENUE_PAID_CONTENT,
}
LIVE_ORDER = ("paid", "shipped")


def summary(db: Database) -> dict[str, Any]:
    """Revenue per line (fen), GMV (paid, not refunded) by source kind, paying users, ARPPU
    (fen a paying user paid through the provider), order funnel, top creator earnings."""
    with db.session() as session:
        platform = ledger.balances_by_prefix(session, prefix="platform:")
        creators = ledger.balances_by_prefix(session, prefix="creator:")
        orders = repo.paid_orders(session)
        funnel = repo.order_counts(session)
        payers = repo.paying_users(session)
        unlocks = repo.unlock_counts(session)
        external = repo.creator_external_ids(
            session, creator_ids=[int(a.split(":")[1]) for a in creators]
        )
        names = {repo.creator_earnings(pk): ext for pk, ext in external.items()}
    revenue = {line: -platform.get(account, 0) for line, account in REVENUE_LINES.items()}
    gmv_by_source: dict[str, int] = {}
    for _, amount, _, source, _, status in orders:
        if status in LIVE_ORDER:
            kind = source.partition(":")[0]
            gmv_by_source[kind] = gmv_by_source.get(kind, 0) + amount
    paid_fen = sum(payers.values())
    earnings = sorted(
        ((names.get(a, a), -fen) for a, fen in creators.items()), key=lambda x: (-x[1], x[0])
    )
    return {
        "revenue_fen": revenue,
        "revenue_total_fen": sum(revenue.values()),
        "gmv_fen": sum(gmv_by_source.values()),
        "gmv_by_source_fen": dict(sorted(gmv_by_source.items())),
        "paying_users": len(payers),
        "paid_fen": paid_fen,
        "arppu_fen": paid_fen // len(payers) if payers else 0,
        "order_funnel": {
            "created": sum(funnel.values()),
            "paid": len(orders),
            "shipped": funnel.get("shipped", 0),
            "refunded": funnel.get("refunded", 0),
        },
        "unlocks": unlocks,
        "creator_earnings_fen": dict(earnings[:20]),
        "chargeback_loss_fen": platform.get(repo.CHARGEBACK_LOSS, 0),
    }


#: the commerce ledger's revenue lines by their KPI names (``insights`` ``LEDGER_LINES``)
KPI_LINES = {
    "gifting_revenue_fen": repo.REVENUE_GIFTING,
    "paid_content_revenue_fen": repo.REVENUE_PAID_CONTENT,
    "commission_revenue_fen": repo.REVENUE_COMMISSION,
}


def revenue_by_day(
    db: Database, *, start_day: str | None = None, end_day: str | None = None
) -> list[dict[str, Any]]:
    """Per local day (fen): the platform's share of gifting, paid content and commission, and
    goods GMV (cash taken by paid orders less cash returned by order refunds)."""
    with db.session() as session:
        revenue = ledger.day_totals(
            session, accounts=list(KPI_LINES.values()), start_day=start_day, end_day=end_day
        )
        goods = ledger.day_totals(
            session,
            accounts=[ledger.ACCOUNT_CASH],
            kinds=("order_paid", "order_refund"),
            start_day=start_day,
            end_day=end_day,
        )
    days = sorted({day for day, _ in revenue} | {day for day, _ in goods})
    return [
        {
            "day": day,
            **{name: -revenue.get((day, account), 0) for name, account in KPI_LINES.items()},
            "goods_gmv_fen": goods.get((day, ledger.ACCOUNT_CASH), 0),
        }
        for day in days
    ]


def reconcile(db: Database) -> dict[str, Any]:
    """Check the ledger: every journal balanced, the whole ledger sums to zero, each wallet
    equals its ledger account and none is negative. ``ok`` when all agree."""
    with db.session() as session:
        balances = ledger.account_balances(session)
        unbalanced = ledger.unbalanced_journals(session)
        wallets = repo.wallets(session)
    coins = {int(a.split(":")[1]): -fen for a, fen in balances.items() if a.startswith("user:")}
    mismatched = sorted(
        user
        for user in set(coins) | set(wallets)
        if coins.get(user, 0) != wallets.get(user, 0) or wallets.get(user, 0) < 0
    )
    trial = sum(balances.values())
    return {
        "ok": not unbalanced and trial == 0 and not mismatched,
        "trial_balance_fen": trial,
        "unbalanced_journals": unbalanced,
        "wallet_mismatches": mismatched,
    }
