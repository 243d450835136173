"""Simulated users pay through the real commerce service: every revenue line and GMV fill
up, the ledger reconciles, and the run is reproducible."""

import pytest

from laotie.core.clock import ManualClock
from laotie.core.settings import load_settings
from laotie.sim import Simulation
from laotie.sim.runner import start_ms_of
from laotie.wiring import build_services

from .conftest import small_config


def _run(home):
    config = small_config(users=400, days=2, paying=True, train_nightly=False)
    services = build_services(load_settings(home=home), clock=ManualClock(start_ms_of(config)))
    simulation = Simulation(config, services)
    simulation.run()
    summary, check = services.commerce.summary(), services.commerce.reconcile()
    services.close()
    return simulation.paying_days, summary, check


def test_simulated_users_fill_every_revenue_line(clean_env):
    days, summary, check = _run(clean_env / "a")
    assert check["ok"], check
    revenue = summary["revenue_fen"]
    assert revenue["live_gifting"] > 0 and revenue["paid_content"] > 0
    assert revenue["ecommerce_commission"] > 0 and revenue["ads"] > 0
    assert summary["gmv_fen"] > 0 and summary["paying_users"] > 0
    assert sum(d.gifts for d in days) > 0 and sum(d.orders for d in days) > 0


@pytest.mark.slow
def test_paying_is_reproducible(clean_env):
    first, second = _run(clean_env / "a")[1], _run(clean_env / "b")[1]
    assert first["revenue_fen"] == second["revenue_fen"] and first["gmv_fen"] == second["gmv_fen"]
