"""The studio page's ad-video and presenter forms: shown to the roles the API lets submit
them, and submitted through the same API endpoints (prices typed in yuan become fen)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from laotie.wiring import Services

from .conftest import csrf_of, sign_in


def _job_id(response) -> str:
    assert response.status_code == 303, response.text
    return response.headers["location"].rsplit("/", 1)[1]


def _stop(world: Services, job_id: str) -> None:
    """Cancel the render: the test is about the form, not the video."""
    if not world.studio_jobs.get(job_id).done:
        world.studio_jobs.cancel(job_id)


def test_an_advertiser_makes_ad_videos_but_no_presenter(
    app_client: TestClient, world: Services
) -> None:
    sign_in(app_client, "advertiser")
    page = app_client.get("/studio").text
    assert 'action="/studio/ad"' in page and 'action="/studio/presenter"' not in page
    token = csrf_of(page)
    form = {"name": "桂花米酒", "selling_points": "古法酿造\n\n低度微甜\n", "variants": "1"}
    sent = app_client.post(
        "/studio/ad",
        data={**form, "price_yuan": "39.9", "csrf_token": token},
        follow_redirects=False,
    )
    job = world.studio_jobs.get(_job_id(sent))
    assert job.kind == "ad"
    assert job.params["brief"] == {
        "name": "桂花米酒",
        "selling_points": ["古法酿造", "低度微甜"],
        "price_fen": 3990,
    }
    bad = app_client.post("/studio/ad", data={**form, "price_yuan": "9.999", "csrf_token": token})
    assert bad.status_code == 422 and "price_yuan" in bad.text
    _stop(world, job.id)
    refused = app_client.post("/studio/presenter", data={"text": "大家好", "csrf_token": token})
    assert refused.status_code == 403


def test_a_creator_makes_a_presenter_video(app_client: TestClient, world: Services) -> None:
    sign_in(app_client, "creator")
    page = app_client.get("/studio").text
    assert 'action="/studio/presenter"' in page and 'action="/studio/ad"' in page
    sent = app_client.post(
        "/studio/presenter",
        data={"text": "大家好，今天介绍一款米酒。", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    job = world.studio_jobs.get(_job_id(sent))
    assert job.kind == "presenter" and job.params["provider"] == "offline"
    _stop(world, job.id)
