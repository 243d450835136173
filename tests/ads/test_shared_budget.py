"""Several OS processes charging one campaign through the Redis live state (a real server)."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest
from tests.ads.campaigns import open_campaign
from tests.ads.live_workers import charge_clicks

from laotie.ads import CampaignUpdate
from laotie.core.clock import day_label
from laotie.core.contracts import AdRequest
from laotie.core.settings import load_settings
from laotie.store.repos import ads as repo
from laotie.wiring import build_services

PROCESSES = 4
PLACEMENTS = 160


def _clicks(placements, *, prefix: str, now_ms: int) -> list[dict]:
    return [
        {
            "id": f"{prefix}-{p.impression_id}",
            "type": "ad_click",
            "user_id": f"u{n}",
            "ts_ms": now_ms,
            "ref": p.impression_id,
        }
        for n, p in placements
    ]


@pytest.mark.servers
@pytest.mark.slow  # four fresh interpreters importing laotie: ~10 s quiet, a minute when shared
def test_processes_sharing_redis_never_overspend_or_double_charge(tmp_path, redis_url, spawn):
    home = tmp_path / "home"
    services = build_services(load_settings(home=home, live_state_url=redis_url))
    ads = services.ads
    open_campaign(ads, daily_budget_fen=100_000, funds_fen=1_000_000)
    start = services.clock.now_ms()
    served = []
    for n in range(PLACEMENTS):
        request = AdRequest(
            user_id=n,
            user_external_id=f"u{n}",
            request_id=f"r{n}",
            slot_positions=[2],
            now_ms=services.clock.now_ms(),
            context={"region": None, "segment": None},
        )
        served += [(n, p) for p in ads.serving.fill(request)]
    assert len(served) == PLACEMENTS
    now = services.clock.now_ms()
    services.events.ingest(
        [
            {"id": f"imp-{p.impression_id}", "type": "ad_impression", "user_id": f"u{n}",
             "ts_ms": now, "ref": p.impression_id}
            for n, p in served
        ]
    )  # fmt: skip
    demand = sum(p.price_fen for _, p in served)
    budget = demand // 3  # clicks on every placement would cost three budgets
    ads.accounts.update_campaign("c1", CampaignUpdate(daily_budget_fen=budget))
    # each process gets its quarter of the clicks, plus the next quarter's first clicks again
    # (the same client ids: a client retrying on another process) and a second click with a
    # new id on some of its own impressions (the same impression clicked twice)
    quarter = PLACEMENTS // PROCESSES
    work = []
    for k in range(PROCESSES):
        own = served[k * quarter : (k + 1) * quarter]
        retried = served[((k + 1) % PROCESSES) * quarter :][:10]
        events = _clicks(own, prefix="click", now_ms=now)
        events += _clicks(retried, prefix="click", now_ms=now)
        events += _clicks(own[:5], prefix="again", now_ms=now)
        work.append([events[i : i + 8] for i in range(0, len(events), 8)])
    with ProcessPoolExecutor(PROCESSES, mp_context=spawn) as pool:
        futures = [pool.submit(charge_clicks, str(home), redis_url, w) for w in work]
        for future in futures:
            future.result(timeout=180)
    ads.charging.settle(
        since_ms=start
    )  # a charge a process's hook missed (a busy database) is made now
    day = day_label(now, services.settings.timezone)
    with services.db.session() as session:
        campaign = repo.get_campaign(session, external_id="c1")
        spent = repo.spend_by_campaign(session, day=day)[campaign.id]
    report = ads.reports.report(group_by=["campaign"])[0]
    services.close()
    assert spent <= budget * 1.01
    # the budget, not the demand, stopped the spending: what is left cannot pay for a click
    assert spent > budget - 50
    assert report.clicks == PLACEMENTS  # each impression's click recorded once, whoever sent it
    assert report.spend_fen == spent
    assert ads.reports.reconcile()["ok"]


def test_a_process_charges_the_events_of_an_ad_another_process_served(tmp_path, redis_url):
    settings = load_settings(home=tmp_path / "home", live_state_url=redis_url)
    serving, charging = build_services(settings), build_services(settings)
    try:
        ads = serving.ads
        open_campaign(ads)
        request = AdRequest(
            user_id=1,
            user_external_id="u1",
            request_id="r1",
            slot_positions=[2],
            now_ms=serving.clock.now_ms(),
            context={"region": None, "segment": None},
        )
        (placement,) = ads.serving.fill(request)
        now = charging.clock.now_ms()
        charging.events.ingest(
            [
                {"id": f"{kind}-1", "type": kind, "user_id": "u1", "ts_ms": now,
                 "ref": placement.impression_id}
                for kind in ("ad_impression", "ad_click")
            ]
        )  # fmt: skip
        report = charging.ads.reports.report(group_by=["campaign"])[0]
    finally:
        serving.close()
        charging.close()
    assert (report.impressions, report.clicks) == (1, 1)
    assert report.spend_fen == placement.price_fen > 0
