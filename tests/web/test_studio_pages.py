"""Studio pages: a novel file uploaded through the form becomes an adaptation job whose
scripts the job page shows; output files stay inside the data dir."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from laotie.wiring import Services

from .conftest import csrf_of, sign_in

#: chapters of the novel the test adapts (the whole book would only take longer)
CHAPTERS = 12


def _first_chapters(path: Path, count: int) -> str:
    text = path.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(r"^第.{1,6}回", text, flags=re.M)]
    return text[: starts[count]] if len(starts) > count else text


@pytest.mark.slow
def test_adaptation_from_an_uploaded_gb18030_novel(
    app_client: TestClient, world: Services, shared_data: Path
) -> None:
    novel = _first_chapters(shared_data / "novels" / "西游记.txt", CHAPTERS)
    sign_in(app_client, "creator")
    token = csrf_of(app_client.get("/studio").text)
    submitted = app_client.post(
        "/studio/adapt",
        data={"csrf_token": token, "episodes": "6", "engine": "offline", "title": "西游记"},
        files={"novel": ("xiyouji.txt", novel.encode("gb18030"), "text/plain")},
        follow_redirects=False,
    )
    assert submitted.status_code == 303, submitted.text
    job_path = submitted.headers["location"]
    job_id = job_path.rsplit("/", 1)[1]
    done = world.studio_jobs.wait(job_id, timeout_s=240)
    assert done.status == "succeeded", done.error
    page = app_client.get(job_path)
    assert page.status_code == 200 and "succeeded" in page.text
    assert "孙悟空" in page.text or "悟空" in page.text  # the scripts are shown
    review = done.result["review"]  # the review's findings, episode by episode, as a table
    assert len(review["episodes"]) == 6 and "剧本审校" in page.text
    assert f'<th scope="row">{review["episodes"][0]["episode"]}</th>' in page.text
    home = world.settings.home.resolve()
    assert all(Path(p).resolve().is_relative_to(home) for p in done.result["files"])
    assert app_client.get(f"{job_path}/files/0").status_code == 200
    assert app_client.get(f"{job_path}/files/999").status_code == 404
    sign_in(app_client, "advertiser")  # another owner's job does not exist for them (API too)
    assert app_client.get(job_path).status_code == 404
    sign_in(app_client, "creator")
    bad = app_client.post(
        "/studio/adapt",
        data={"csrf_token": csrf_of(app_client.get("/studio").text), "episodes": "6"},
        files={"novel": ("x.txt", b"\xff\xfe\xfa" * 10, "text/plain")},
    )
    assert bad.status_code == 422 and "GB18030" in bad.text
