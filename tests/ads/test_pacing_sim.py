"""Traffic simulation: pacing keeps each campaign within 1% of its daily budget and spends
>= 95% of it when traffic allows (diurnal traffic, real Server, events settled every minute)."""

from __future__ import annotations

import math

import numpy as np

from laotie.ads.auction import CPM
from laotie.ads.index import CampaignSpec, CreativeSpec, ServingIndex
from laotie.ads.prediction import PriorModel
from laotie.ads.schemas import Objective
from laotie.ads.serving import Server
from laotie.core.clock import MS_PER_DAY, MS_PER_MINUTE, day_start_ms
from laotie.core.contracts import AdRequest

START = day_start_ms(1_790_000_000_000, "UTC")
TRUE_CTR = 0.03
TRUE_CVR = 0.1
#: a reserve close to the bids keeps prices near bids, so spend follows served traffic
RESERVE_ECPM = 800


def _campaigns(rng: np.random.Generator) -> list[CampaignSpec]:
    # each could spend its budget in well under a day at full speed; all together they want
    # about two thirds of the day's impressions, so traffic allows every budget to be spent
    out = []
    plan = [
        (Objective.IMPRESSIONS, 1500, 2500),
        (Objective.CLICKS, 45, 2100),
        (Objective.CONVERSIONS, 400, 2000),
        (Objective.CLICKS, 35, 1500),
        (Objective.IMPRESSIONS, 1200, 1300),
    ]
    for j, (objective, bid, budget) in enumerate(plan):
        out.append(
            CampaignSpec(
                pk=j + 1,
                external_id=f"c{j}",
                advertiser_pk=1 + j % 2,
                objective=objective,
                bid_fen=int(bid * rng.uniform(0.9, 1.1)),
                daily_budget_fen=budget,
                frequency_cap=10,
                creatives=[
                    CreativeSpec(
                        pk=j + 1, external_id=f"cr{j}", title="t", landing_url="https://example.com"
                    )
                ],
            )
        )
    return out


def _requests_per_minute(minute_of_day: int) -> float:
    # a diurnal curve: quiet at night, peak in the evening
    return 6.0 + 16.0 * math.sin(math.pi * max(0, minute_of_day - 360) / 1080) ** 2


def test_pacing_spends_between_95_and_101_percent_of_every_budget():
    rng = np.random.default_rng(7)
    specs = _campaigns(rng)
    server = Server(
        ServingIndex(specs),
        pctr_model=PriorModel(TRUE_CTR),
        pcvr_model=PriorModel(TRUE_CVR),
        reserve_ecpm_fen=RESERVE_ECPM,
        min_gap=3,
        timezone="UTC",
        random_state=3,
    )
    server.load(server.index, spent_fen={}, balances_fen={1: 10**9, 2: 10**9}, creative_counts={})
    budget = {s.pk: s.daily_budget_fen for s in specs}
    carry = dict.fromkeys(budget, 0)
    spent: dict[tuple[int, int], int] = {}
    full_speed = dict.fromkeys(budget, 0)
    for day in range(2):
        for minute in range(1440):
            now = START + day * MS_PER_DAY + minute * MS_PER_MINUTE
            pending = []
            for _ in range(rng.poisson(_requests_per_minute(minute))):
                user = int(rng.integers(0, 3000))
                request = AdRequest(
                    user_id=user,
                    user_external_id=str(user),
                    request_id="r",
                    slot_positions=[4],
                    now_ms=now,
                )
                pending += server.fill(request)
            for placement in pending:  # events arrive at the end of the minute
                p = server.placements.get(placement.impression_id)
                amount = 0
                if p.objective == CPM:
                    carry[p.campaign_pk] += p.price_millifen
                    amount, carry[p.campaign_pk] = divmod(carry[p.campaign_pk], 1000)
                elif rng.random() < TRUE_CTR:
                    amount = p.click_price_fen
                if amount:
                    key = (day, p.campaign_pk)
                    spent[key] = spent.get(key, 0) + amount
                    server.record_charge(
                        campaign_pk=p.campaign_pk, advertiser_pk=p.advertiser_pk, amount_fen=amount
                    )
                full_speed[p.campaign_pk] += 1
    for day in range(2):
        for pk, limit in budget.items():
            ratio = spent.get((day, pk), 0) / limit
            assert ratio <= 1.01, f"day {day} campaign {pk} spent {ratio:.4f} of budget"
            assert ratio >= 0.95, f"day {day} campaign {pk} spent only {ratio:.4f} of budget"
    # pacing had work to do: the campaigns could have spent their budgets in part of the day
    assert server.pacing.probability_.min() < 1.0
