"""Feed fixtures: a small generated world and a model trained on it (built once per module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from laotie.core.clock import ManualClock
from laotie.core.feedconfig import FeedConfig
from laotie.feed.bundle import Bundle
from laotie.feed.catalog import Catalog
from laotie.feed.rows import training_set
from laotie.feed.signals import FeedData
from laotie.feed.sources import TrainingSet
from laotie.feed.training import train
from laotie.sim.logged import logged_world


@pytest.fixture(scope="module")
def world() -> FeedData:
    """600 items, 150 users, ~26k events with known structure."""
    return logged_world(items=600, users=150, events=24_000, seed=3)


@pytest.fixture(scope="module")
def trained(world: FeedData) -> Bundle:
    """A full model version trained on ``world``."""
    bundle, _ = train(world, FeedConfig(), version="vtest")
    return bundle


@pytest.fixture(scope="module")
def catalog(world: FeedData) -> Catalog:
    """The world's catalog."""
    return Catalog.from_frame(world.items)


@pytest.fixture(scope="module")
def training(world: FeedData, catalog: Catalog) -> TrainingSet:
    """The world's whole window as a training set."""
    return training_set(
        catalog, world.events, world.follows, now_ms=world.now_ms, n_users=151, long_view_ms=18_000
    )


@pytest.fixture
def clock(world: FeedData) -> ManualClock:
    """A clock at the end of the world's window."""
    return ManualClock(world.now_ms)


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    """An empty models directory."""
    return tmp_path / "models"
