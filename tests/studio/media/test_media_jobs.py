"""Media jobs on the studio runner: rendered under the home, published as AIGC catalog items."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer import Typer
from typer.testing import CliRunner

from laotie.cli import studio_media
from laotie.core.errors import InvalidInput
from laotie.media import read_label
from laotie.store.repos import catalog
from laotie.studio import MediaContext, publish_video, register_media_jobs
from laotie.studio.jobs import JobRunner
from laotie.studio.render import probe


@pytest.fixture
def runner(services) -> JobRunner:
    jobs = JobRunner(services.db, workers=1)
    register_media_jobs(jobs, services.settings, catalog=services.catalog)
    yield jobs
    jobs.shutdown()


def test_narrate_job_publishes_a_confirmed_aigc_video(runner: JobRunner, services) -> None:
    job = runner.submit("narrate", {"text": "老铁们好。", "size": "240x426", "title": "问候"})
    done = runner.wait(job.id, timeout_s=120)
    assert done.status == "succeeded", done.error
    path = Path(done.result["path"])
    assert path.is_relative_to(services.settings.home.resolve())
    assert probe(path).height == 426
    with services.db.session() as session:
        item = catalog.get_item(session, external_id=done.result["item_id"])
        assert (item.kind, item.aigc_status, item.title) == ("video", "confirmed", "问候")
        # screened by trust through the catalog door: the studio's label, with the
        # distributing platform's propagation fields filled in
        made = read_label(path).label.to_dict()
        propagation = {"ContentPropagator": "laotie", "PropagateID": item.external_id}
        assert item.aigc_label == made | propagation
        assert item.duration_ms == round(done.result["duration_s"] * 1000)


def test_bad_job_params_are_refused_or_fail_clearly(runner: JobRunner) -> None:
    with pytest.raises(InvalidInput) as caught:
        runner.submit("presenter", {"text": ""})
    assert caught.value.field == "text"
    # refused before any work is queued: the kind's validator checks sizes and targets
    for size in ("7x7", "99999x99999"):
        with pytest.raises(InvalidInput) as caught:
            runner.submit("narrate", {"text": "你好。", "size": size, "publish": False})
        assert caught.value.field == "size" and size in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        runner.submit(
            "ad",
            {"brief": {"name": "x", "selling_points": ["y"]}, "campaign_id": "c1", "variants": 1},
        )
    assert "ads area" in caught.value.message
    assert runner.list() == []


def test_publish_refuses_an_unlabelled_file(services, tmp_path: Path, media) -> None:
    plain = media.solid_image(tmp_path / "x.png", (1, 2, 3))
    with pytest.raises(InvalidInput):
        publish_video(
            MediaContext(services.settings, services.db, services.catalog),
            path=plain,
            title="x",
            caption="",
            duration_s=1.0,
        )


def test_cli_narrate_and_presenter(tmp_path: Path, services) -> None:
    app = Typer()
    studio_media.register(app)
    script = tmp_path / "s.txt"
    script.write_text("你好。", encoding="utf-8")
    cli = CliRunner()
    result = cli.invoke(
        app,
        ["narrate", str(script), "--out", str(tmp_path / "n.mp4"), "--size", "240x426", "--json"],
    )
    assert result.exit_code == 0, result.output
    assert read_label(tmp_path / "n.mp4").has_label
    result = cli.invoke(
        app,
        [
            "presenter",
            "--text",
            "你好。",
            "--out",
            str(tmp_path / "p.mp4"),
            "--size",
            "240x426",
            "--publish",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "item_id" in result.output
    empty = tmp_path / "empty.txt"
    empty.write_text("  ", encoding="utf-8")
    result = cli.invoke(app, ["narrate", str(empty)])
    assert result.exit_code != 0
    assert isinstance(result.exception, InvalidInput)


def test_api_queues_media_jobs_and_guards_files(
    client, services, admin_headers, make_headers
) -> None:
    answer = client.post(
        "/v1/studio/narrate",
        headers=admin_headers,
        json={"text": "你好。", "size": "240x426", "publish": False},
    )
    assert answer.status_code == 202, answer.text
    done = services.studio_jobs.wait(answer.json()["id"], timeout_s=120)
    assert done.status == "succeeded", done.error
    assert read_label(Path(done.result["path"])).has_label
    outside = client.post(
        "/v1/studio/narrate",
        headers=admin_headers,
        json={"text": "你好。", "images": ["/etc/hostname"]},
    )
    assert outside.status_code == 422
    assert outside.json()["type"].endswith("invalid-input")
    creator = make_headers("creator", "c1")
    other = client.post(
        "/v1/studio/presenter", headers=creator, json={"text": "你好。", "creator_id": "c2"}
    )
    assert other.status_code == 403
    app_key = make_headers("app")
    assert client.post("/v1/studio/ad", headers=app_key, json={"brief": {}}).status_code == 403


def test_ad_job_registers_aigc_creatives_in_a_campaign(services) -> None:
    from laotie.ads import AdvertiserCreate, CampaignCreate, Objective

    services.ads.accounts.create_advertiser(AdvertiserCreate(id="shop1", name="果园"))
    services.ads.accounts.create_campaign(
        CampaignCreate(
            id="camp1",
            advertiser_id="shop1",
            name="苹果",
            objective=Objective.CLICKS,
            bid_fen=50,
            daily_budget_fen=10_000,
        )
    )
    job = services.studio_jobs.submit(
        "ad",
        {
            "brief": {
                "name": "苹果",
                "selling_points": ["脆"],
                "price_fen": 990,
                "call_to_action": "快买",
            },
            "variants": 1,
            "size": "240x426",
            "campaign_id": "camp1",
            "landing_url": "https://shop.example/apple",
        },
    )
    done = services.studio_jobs.wait(job.id, timeout_s=180)
    assert done.status == "succeeded", done.error
    [creative_id] = done.result["creatives"]
    [creative] = services.ads.accounts.list_creatives("camp1")
    assert creative.id == creative_id and creative.aigc
    assert (
        creative.aigc_labels["AIGC"]
        == read_label(Path(done.result["videos"][0]["path"])).label.to_dict()
    )
    assert done.result["videos"][0]["item_id"]


def test_a_creator_reads_back_the_media_job_it_queued(client, make_headers) -> None:
    # media jobs were recorded under the key id while the jobs API looks a creator's jobs up by
    # its scope: the creator got 404 for its own job (found by the console's browser test)
    creator = make_headers("creator", "c1")
    queued = client.post(
        "/v1/studio/narrate",
        headers=creator,
        json={"text": "你好。", "size": "240x426", "publish": False, "creator_id": "c1"},
    )
    assert queued.status_code == 202, queued.text
    job_id = queued.json()["id"]
    assert client.get(f"/v1/studio/jobs/{job_id}", headers=creator).status_code == 200
    assert job_id in [j["id"] for j in client.get("/v1/studio/jobs", headers=creator).json()]
    other = make_headers("creator", "c2")
    assert client.get(f"/v1/studio/jobs/{job_id}", headers=other).status_code == 404
