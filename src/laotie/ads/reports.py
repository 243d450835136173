"""Ads reports: spend, impressions, clicks, conversions, CTR, CVR, CPA, eCPM by day/campaign/
creative, AIGC creatives' share of daily spend, KPIs for the simulator, ledger reconciliation.

Every spend figure is the sum of recorded charges (integer fen), which ``reconcile_ledger`` checks
against the ledger to the fen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from laotie.ads.accounts import AdAccounts
from laotie.ads.schemas import AigcShareRow, ReportRow
from laotie.core.errors import InvalidInput, NotFound
from laotie.store.db import Database
from laotie.store.repos import ads as repo
from laotie.store.repos import ledger


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _row(values: dict[str, Any]) -> ReportRow:
    imps, clicks, convs = values["impressions"], values["clicks"], values["conversions"]
    spend = values["spend_fen"]
    return ReportRow(
        day=values.get("day"),
        campaign_id=values.get("campaign_id"),
        creative_id=values.get("creative_id"),
        impressions=imps,
        clicks=clicks,
        conversions=convs,
        spend_fen=spend,
        ctr=_ratio(clicks, imps),
        cvr=_ratio(convs, clicks),
        cpa_fen=_ratio(spend, convs),
        ecpm_fen=_ratio(spend * 1000, imps),
    )


def spend_report(
    db: Database,
    *,
    group_by: Iterable[str] = ("day", "campaign"),
    start_day: str | None = None,
    end_day: str | None = None,
    advertiser_id: int | None = None,
    campaign_id: int | None = None,
) -> list[ReportRow]:
    """Report rows grouped by any of ``day``, ``campaign``, ``creative`` (none: one total row);
    ``group_by`` items may also be comma-separated (``"day,campaign"``)."""
    groups = [g.strip() for item in group_by for g in item.split(",") if g.strip()]
    unknown = [g for g in groups if g not in repo.GROUPS]
    if unknown:
        raise InvalidInput(
            f"cannot group by {unknown[0]!r}", field="group_by", limit=", ".join(repo.GROUPS)
        )
    with db.session() as session:
        rows = repo.report_rows(
            session,
            group_by=groups,
            start_day=start_day,
            end_day=end_day,
            advertiser_id=advertiser_id,
            campaign_id=campaign_id,
        )
    return [_row(r) for r in rows]


def aigc_share_by_day(
    db: Database,
    *,
    start_day: str | None = None,
    end_day: str | None = None,
    advertiser_id: int | None = None,
) -> list[AigcShareRow]:
    """Per day: spend, spend on AIGC creatives, and their share."""
    with db.session() as session:
        rows = repo.aigc_spend_by_day(
            session, start_day=start_day, end_day=end_day, advertiser_id=advertiser_id
        )
    return [
        AigcShareRow(
            day=r["day"],
            spend_fen=r["spend_fen"],
            aigc_spend_fen=r["aigc_spend_fen"],
            aigc_share=_ratio(r["aigc_spend_fen"], r["spend_fen"]),
        )
        for r in rows
    ]


def ads_kpis(
    db: Database, *, start_day: str | None = None, end_day: str | None = None
) -> dict[str, Any]:
    """Headline ad KPIs over a day range (inclusive, local days): totals, ratios, AIGC share."""
    total = spend_report(db, group_by=(), start_day=start_day, end_day=end_day)
    row = (
        total[0]
        if total
        else _row({"impressions": 0, "clicks": 0, "conversions": 0, "spend_fen": 0})
    )
    shares = aigc_share_by_day(db, start_day=start_day, end_day=end_day)
    aigc_fen = sum(s.aigc_spend_fen for s in shares)
    return {
        "impressions": row.impressions,
        "clicks": row.clicks,
        "conversions": row.conversions,
        "spend_fen": row.spend_fen,
        "ctr": row.ctr,
        "cvr": row.cvr,
        "cpa_fen": row.cpa_fen,
        "ecpm_fen": row.ecpm_fen,
        "aigc_spend_fen": aigc_fen,
        "aigc_spend_share": _ratio(aigc_fen, row.spend_fen),
    }


def reconcile_ledger(db: Database) -> dict[str, Any]:
    """Check reports against the ledger: per (day, campaign) spend, revenue, every journal
    balanced, every advertiser balance equal to its ledger account. ``ok`` when all agree."""
    with db.session() as session:
        reported = {
            (r["day"], r["campaign_id"]): r["spend_fen"]
            for r in repo.report_rows(session, group_by=("day", "campaign"))
        }
        ids = {c.external_id: c.id for c in repo.list_campaigns(session)}
        charged = repo.charged_by_day(session)
        balances = ledger.account_balances(session)
        unbalanced = ledger.unbalanced_journals(session)
        advertisers = repo.list_advertisers(session)
        reported_by_pk = {(day, ids[c]): v for (day, c), v in reported.items() if v}
        mismatches = [
            {
                "day": day,
                "campaign": campaign,
                "report_fen": reported_by_pk.get((day, campaign), 0),
                "ledger_fen": charged.get((day, campaign), 0),
            }
            for day, campaign in sorted(set(reported_by_pk) | set(charged))
            if reported_by_pk.get((day, campaign), 0) != charged.get((day, campaign), 0)
        ]
        balance_errors = [
            a.external_id
            for a in advertisers
            if a.balance_fen != -balances.get(ledger.advertiser_account(a.id), 0)
            or a.balance_fen < 0
        ]
    spend = sum(reported.values())
    revenue = -balances.get(ledger.ACCOUNT_REVENUE, 0)
    return {
        "ok": not mismatches and not balance_errors and not unbalanced and spend == revenue,
        "report_spend_fen": spend,
        "ledger_revenue_fen": revenue,
        "trial_balance_fen": sum(balances.values()),
        "unbalanced_journals": unbalanced,
        "mismatches": mismatches,
        "balance_errors": balance_errors,
    }


class AdReports:
    """The ads reports an advertiser or operator asks for, within the key's scope."""

    def __init__(self, db: Database, *, accounts: AdAccounts) -> None:
        self.db = db
        self._accounts = accounts

    def report(
        self,
        *,
        group_by: Iterable[str] = ("day", "campaign"),
        start_day: str | None = None,
        end_day: str | None = None,
        advertiser_id: str | None = None,
        campaign_id: str | None = None,
        scope: str | None = None,
    ) -> list[ReportRow]:
        """Spend, counts and ratios by day/campaign/creative (an advertiser sees its own)."""
        pk = self._accounts.advertiser_pk(advertiser_id, scope)
        campaign_pk = None
        if campaign_id is not None:
            with self.db.session() as session:
                row, _ = self._accounts.campaign_row(session, campaign_id, scope)
                campaign_pk = row.id
        return spend_report(
            self.db,
            group_by=group_by,
            start_day=start_day,
            end_day=end_day,
            advertiser_id=pk,
            campaign_id=campaign_pk,
        )

    def aigc_share(
        self,
        *,
        start_day: str | None = None,
        end_day: str | None = None,
        advertiser_id: str | None = None,
        scope: str | None = None,
    ) -> list[AigcShareRow]:
        """AIGC creatives' share of spend per day."""
        pk = self._accounts.advertiser_pk(advertiser_id, scope)
        return aigc_share_by_day(self.db, start_day=start_day, end_day=end_day, advertiser_id=pk)

    def kpis(self, *, start_day: str | None = None, end_day: str | None = None) -> dict[str, Any]:
        """Headline ad KPIs for the simulator, insights and the demo."""
        return ads_kpis(self.db, start_day=start_day, end_day=end_day)

    def reconcile(self) -> dict[str, Any]:
        """Reports against the ledger, to the fen."""
        return reconcile_ledger(self.db)

    def creative_allocation(self, campaign_id: str, *, scope: str | None = None) -> dict[str, Any]:
        """Thompson-sampling state of a campaign's creatives, with the estimated regret against
        the best fixed variant (clicks the best posterior rate would have earned, minus clicks)."""
        with self.db.session() as session:
            row, _ = self._accounts.campaign_row(session, campaign_id, scope)
            creatives = repo.list_creatives(session, campaign_id=row.id)
            counts = repo.creative_counts(session)
        imps = np.array([counts.get(c.id, (0, 0))[0] for c in creatives], dtype=float)
        clicks = np.array([counts.get(c.id, (0, 0))[1] for c in creatives], dtype=float)
        if not creatives:
            raise NotFound(f"campaign {campaign_id!r} has no creatives", field="campaign_id")
        rate = (clicks + 1) / (imps + 2)
        regret = max(0.0, float(imps.sum() * rate.max() - clicks.sum()))
        return {
            "campaign_id": campaign_id,
            "variants": [
                {
                    "creative_id": c.external_id,
                    "variant": c.variant,
                    "impressions": int(i),
                    "clicks": int(k),
                    "posterior_mean": float(r),
                }
                for c, i, k, r in zip(creatives, imps, clicks, rate, strict=True)
            ],
            "estimated_regret_clicks": regret,
        }
