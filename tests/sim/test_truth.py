"""Ground truth of a simulated home: recorded config, id mapping, ``laotie evaluate home``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.errors import InvalidInput
from laotie.core.settings import load_settings
from laotie.sim.ab import run_arm
from laotie.sim.behaviour import true_utility
from laotie.sim.config import CONFIG_FILE, recorded_config
from laotie.sim.runner import build_world
from laotie.sim.truth import GroundTruth
from laotie.store.repos.catalog_frames import items_frame, users_frame
from laotie.wiring import build_services

from .conftest import small_config


@pytest.fixture(scope="module")
def popular_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home filled by three days of the popularity policy (60 users)."""
    home = tmp_path_factory.mktemp("truth") / "home"
    run_arm(small_config(policy="popular", days=3, ads=False), home)
    return home


def test_a_run_records_its_config_and_truth_maps_the_homes_ids(popular_home: Path) -> None:
    config = recorded_config(popular_home)
    assert config == small_config(policy="popular", days=3, ads=False)
    services = build_services(load_settings(home=popular_home))
    try:
        with services.db.session() as session:
            users, items = users_frame(session), items_frame(session)
    finally:
        services.close()
    truth = GroundTruth(config, users=users, items=items)
    world, population = build_world(config)
    user_id, external = users.row(3)[:2]
    assert truth.knows(user_id) and not truth.knows(10**9)
    ids = items["id"].to_numpy()[:50]
    sim = np.array([world.item_ids.index(e) for e in items["external_id"][:50]])
    expected = true_utility(
        config.behaviour, population, world, population.user_ids.index(external), sim
    )
    assert np.allclose(truth.utility(user_id, ids), expected)
    assert truth.utility(user_id, np.array([-1, 10**6])).tolist() == [0.0, 0.0]


def test_a_home_without_a_simulation_has_no_truth_and_a_corrupt_record_is_refused(
    tmp_path: Path,
) -> None:
    assert recorded_config(tmp_path) is None
    (tmp_path / CONFIG_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        recorded_config(tmp_path)
    assert err.value.field == "home" and CONFIG_FILE in str(err.value)
    (tmp_path / CONFIG_FILE).write_text('{"run": {"users": "many"}}', encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        recorded_config(tmp_path)
    assert err.value.field == "run.users" and CONFIG_FILE in str(err.value)


def test_evaluate_home_scores_against_the_truth_and_shows_exposure_bias(
    popular_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Logged by a popularity feed, held-out plays are what it showed: popular wins the logged
    NDCG, while the users' truly best items (the oracle) score far lower there."""
    monkeypatch.setenv("LAOTIE_HOME", str(popular_home))
    result = CliRunner().invoke(app, ["evaluate", "home", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    logged = {name: m["ndcg@10"] for name, m in report["methods"].items()}
    true = report["ground_truth"]["true_ndcg@10"]
    assert set(true) == {
        "pipeline",
        "pipeline_uncapped",
        "popular",
        "popular_capped",
        "random",
        "oracle",
        "als_plain",
        "ease",
    }
    assert set(true) == set(logged)
    assert true["oracle"] == 1.0
    assert all(0.0 <= v <= 1.0 for v in true.values())
    assert true["oracle"] > true["popular"] > true["random"]
    assert logged["oracle"] < logged["popular"]
    for key in ("vs_popular", "uncapped_vs_popular", "vs_popular_capped"):
        assert report["ground_truth"][key]["users"] == report["users_evaluated"]
    table = CliRunner().invoke(app, ["evaluate", "home"])
    assert table.exit_code == 0, table.output
    assert "ground truth" in table.output and "oracle" in table.output
    assert "popular_capped:" in table.output
