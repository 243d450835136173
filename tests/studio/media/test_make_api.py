"""``POST /v1/studio/make`` and ``/kling``: validated before any work, no server paths, and a
make job that renders from the creator's media library and publishes AIGC catalog items."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from laotie.cli.studio import app
from laotie.core.errors import InvalidInput
from laotie.media import read_label
from laotie.store.repos import catalog
from laotie.studio.make.job import validate_make


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"topic": "跑步", "script": "稿子。"}, "topic"),
        ({}, "topic"),
        ({"topic": "跑步", "visuals": ["library", "bing"]}, "visuals"),
        ({"topic": "跑步", "aspect": "4:3"}, "aspect"),
        ({"topic": "跑步", "seconds": 600}, "seconds"),
        ({"topic": "跑步", "variants": 11}, "variants"),
        ({"topic": "跑步", "colour": "red"}, "colour"),
        ({"topic": "跑步", "transition": "spin"}, "transition"),
        ({"topic": "跑步", "library": "/etc"}, "library"),
        (
            {"brief": {"name": "苹果", "selling_points": ["脆"], "images": ["/etc/passwd"]}},
            "brief.images",
        ),
        ({"topic": "x" * 201}, "topic"),
    ],
)
def test_the_validator_names_the_field(params: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_make(params)
    assert caught.value.field == field


def test_the_api_refuses_bad_requests_and_other_creators(
    client, admin_headers, make_headers
) -> None:
    bad = client.post(
        "/v1/studio/make", headers=admin_headers, json={"topic": "跑步", "music_dir": "/tmp"}
    )
    assert bad.status_code == 422
    paths = client.post(
        "/v1/studio/make",
        headers=admin_headers,
        json={"brief": {"name": "苹果", "selling_points": ["脆"], "music": "/etc/x.mp3"}},
    )
    assert paths.status_code == 422 and "brief.music" in paths.text
    creator = make_headers("creator", "c1")
    other = client.post(
        "/v1/studio/make", headers=creator, json={"topic": "跑步", "creator_id": "c2"}
    )
    assert other.status_code == 403
    kling = client.post(
        "/v1/studio/kling", headers=admin_headers, json={"mode": "text2video", "duration": 7}
    )
    assert kling.status_code == 422


@pytest.mark.slow
def test_a_make_job_uses_the_creator_library_and_publishes(client, services, admin_headers) -> None:
    library = services.settings.home / "media" / "library" / "laotie-studio"
    library.mkdir(parents=True)
    Image.new("RGB", (500, 800), (200, 40, 40)).save(library / "跑步 装备.png")
    answer = client.post(
        "/v1/studio/make",
        headers=admin_headers,
        json={
            "topic": "新手跑步",
            "seconds": 12,
            "resolution": 360,
            "aspect": "1:1",
            "transition": "none",
        },
    )
    assert answer.status_code == 202, answer.text
    done = services.studio_jobs.wait(answer.json()["id"], timeout_s=300)
    assert done.status == "succeeded", done.error
    [video] = done.result["videos"]
    path = Path(video["path"])
    assert path.is_relative_to(services.settings.home.resolve())
    assert video["script_source"] == "template" and video["transition"] == "cut"
    assert "library" in {v["source"] for v in video["visuals"]}
    with services.db.session() as session:
        item = catalog.get_item(session, external_id=video["item_id"])
        assert item.aigc_status == "confirmed"
        assert item.aigc_label == read_label(path).label.to_dict()


def test_cli_make_and_kling_refuse_bad_options(tmp_path: Path, settings) -> None:
    cli = CliRunner()
    result = cli.invoke(app, ["make", "跑步", "--aspect", "4:3", "--out", str(tmp_path)])
    assert result.exit_code != 0 and isinstance(result.exception, InvalidInput)
    assert result.exception.field == "aspect"
    result = cli.invoke(app, ["kling", "image2video", "--out", str(tmp_path / "k.mp4")])
    assert isinstance(result.exception, InvalidInput) and result.exception.field == "image"
    result = cli.invoke(app, ["kling", "text2video", "--prompt", "猫", "--duration", "7"])
    assert isinstance(result.exception, InvalidInput) and result.exception.field == "duration"
