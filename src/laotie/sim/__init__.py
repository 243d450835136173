"""Simulator: a synthetic world and population that drive the real services, runs and A/B tests."""

from laotie.sim.behaviour import PageOutcome, simulate_page, true_utility
from laotie.sim.config import (
    BehaviourConfig,
    RunConfig,
    SimConfig,
    UserConfig,
    WorldConfig,
    load_config,
)
from laotie.sim.policies import Policy, ReferencePolicy, Served, ServedAd, SimView
from laotie.sim.runner import DaySummary, RunResult, Simulation, UserTotals, build_world
from laotie.sim.taxonomy import TAXONOMY, categories
from laotie.sim.users import Population, generate_population, return_probability
from laotie.sim.world import World, generate_world

__all__ = [
    "TAXONOMY",
    "BehaviourConfig",
    "DaySummary",
    "PageOutcome",
    "Policy",
    "Population",
    "ReferencePolicy",
    "RunConfig",
    "RunResult",
    "Served",
    "ServedAd",
    "SimConfig",
    "SimView",
    "Simulation",
    "UserConfig",
    "UserTotals",
    "World",
    "WorldConfig",
    "build_world",
    "categories",
    "generate_population",
    "generate_world",
    "load_config",
    "return_probability",
    "simulate_page",
    "true_utility",
]
