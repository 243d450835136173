"""Test set-up shared by the ads, commerce and scale-out tests: a funded advertiser running
one campaign with one creative."""

from __future__ import annotations

from laotie.ads import AdsService, AdvertiserCreate, CampaignCreate, CreativeCreate, TopUp


def open_campaign(
    ads: AdsService,
    *,
    campaign: str = "c1",
    advertiser: str = "adv",
    objective: str = "clicks",
    bid_fen: int = 50,
    daily_budget_fen: int = 10_000,
    funds_fen: int = 100_000,
    frequency_cap: int = 1000,
) -> None:
    """Advertiser ``advertiser`` topped up with ``funds_fen``, running ``campaign`` with the
    creative ``<campaign>-x``."""
    ads.accounts.create_advertiser(AdvertiserCreate(id=advertiser, name=advertiser))
    ads.accounts.top_up(advertiser, TopUp(amount_fen=funds_fen, idempotency_key="first"))
    ads.accounts.create_campaign(
        CampaignCreate(
            id=campaign,
            advertiser_id=advertiser,
            name=campaign,
            objective=objective,
            bid_fen=bid_fen,
            daily_budget_fen=daily_budget_fen,
            frequency_cap=frequency_cap,
        )
    )
    ads.accounts.add_creatives(
        campaign,
        [CreativeCreate(id=f"{campaign}-x", title="买", landing_url="https://example.com/x")],
    )
