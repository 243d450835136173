"""Advertisers for the simulated world, created through the ads service's public face.

Campaigns target a few of the world's categories (or nobody in particular), mix the three
objectives, and a share of their creatives are AIGC with GB 45438 labels, so the demo's ad
KPIs and "AIGC share of ad spend" have something to show.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import HttpUrl

from laotie.ads import (
    AdvertiserCreate,
    CampaignCreate,
    CreativeCreate,
    Objective,
    Targeting,
    TopUp,
)
from laotie.sim.config import SimConfig
from laotie.sim.world import World

ADVERTISERS = ("老铁优选", "山城火锅料", "云上茶园", "速达快递", "星辰手游", "萌宠粮仓")
PRODUCTS = ("火锅底料", "明前龙井", "猫粮", "蓝牙耳机", "新款手游", "保温杯", "零食大礼包")
#: objective, bid in fen (CPM: per 1000 impressions; CPC: per click; oCPC: per conversion)
OBJECTIVES = ((Objective.IMPRESSIONS, 3_000), (Objective.CLICKS, 60), (Objective.CONVERSIONS, 800))
#: prepaid balance of each simulated advertiser, in fen
TOP_UP_FEN = 5_000_000


def seed_campaigns(
    ads: Any, world: World, config: SimConfig, *, now_ms: int, rng: np.random.Generator
) -> int:
    """Create advertisers, campaigns and creatives; returns the number of campaigns."""
    n_adv = min(len(ADVERTISERS), max(1, config.run.ad_campaigns // 2))
    for a in range(n_adv):
        ads.accounts.create_advertiser(AdvertiserCreate(id=f"sim-adv{a}", name=ADVERTISERS[a]))
        ads.accounts.top_up(
            f"sim-adv{a}", TopUp(amount_fen=TOP_UP_FEN, idempotency_key=f"sim-topup-{a}")
        )
    # budgets scale with the traffic the run will have: about one ad slot per page
    daily_slots = config.run.users * 2.0
    live = np.unique(world.category[world.publish_day == 0])
    for c in range(config.run.ad_campaigns):
        objective, bid = OBJECTIVES[c % len(OBJECTIVES)]
        product = PRODUCTS[int(rng.integers(len(PRODUCTS)))]
        targeted = rng.random() < 0.5
        categories = (
            [
                world.category_paths[int(i)]
                for i in rng.choice(live, min(3, len(live)), replace=False)
            ]
            if targeted
            else []
        )
        budget = int(max(500, daily_slots / config.run.ad_campaigns * 4 * rng.uniform(0.5, 1.5)))
        campaign_id = f"sim-camp{c:03d}"
        ads.accounts.create_campaign(
            CampaignCreate(
                id=campaign_id,
                advertiser_id=f"sim-adv{c % n_adv}",
                name=f"{product}推广{c}",
                objective=objective,
                bid_fen=int(bid * rng.uniform(0.6, 1.4)),
                daily_budget_fen=budget,
                targeting=Targeting(categories=categories),
                frequency_cap=3,
            )
        )
        aigc = rng.random() < 0.5
        ads.accounts.add_creatives(
            campaign_id,
            [
                CreativeCreate(
                    id=f"{campaign_id}-cr{k}",
                    title=f"{product}限时特惠，{['立即抢购', '点击领券', '免费试用'][k]}",
                    landing_url=HttpUrl(f"https://example.com/{campaign_id}/{k}"),
                    aigc=aigc,
                    aigc_labels={"Label": "1", "ContentProducer": "laotie-sim"} if aigc else {},
                )
                for k in range(3)
            ],
        )
    return config.run.ad_campaigns
