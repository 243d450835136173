"""The studio jobs API: submit an adaptation, read it, stream progress, cancel, retry, scopes."""

from __future__ import annotations

import json
import time

from fastapi.testclient import TestClient


def _wait(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, object]:
    for _ in range(300):
        job = client.get(f"/v1/studio/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_submit_adapt_job_and_stream_progress(
    client: TestClient, make_headers, small_novel_text: str
) -> None:
    creator = make_headers("creator", scope="c1")
    for name, path in (("novel_path", "/etc/passwd"), ("out_dir", "/tmp/evil")):
        evil = {"kind": "adapt", "params": {"novel_text": small_novel_text, name: path}}
        refused = client.post("/v1/studio/jobs", json=evil, headers=creator)
        assert refused.status_code == 422 and refused.json()["field"] == name
    body = {"kind": "adapt", "params": {"novel_text": small_novel_text, "episodes": 10}}
    first = client.post("/v1/studio/jobs", json=body, headers=creator | {"Idempotency-Key": "a1"})
    assert first.status_code == 202
    job = first.json()
    # the novel is kept by reference: the job shows a file id, not the text
    assert set(job["params"]) == {"novel_file", "episodes", "engine", "title"}
    again = client.post("/v1/studio/jobs", json=body, headers=creator | {"Idempotency-Key": "a1"})
    assert again.json()["id"] == job["id"]
    with client.stream("GET", f"/v1/studio/jobs/{job['id']}/events", headers=creator) as stream:
        events = [line for line in stream.iter_lines() if line.startswith("event:")]
    assert events[-1] == "event: done"
    done = _wait(client, job["id"], creator)
    assert done["status"] == "succeeded", done
    assert done["result"]["review_passed"] is True
    other = make_headers("creator", scope="c2")
    assert client.get(f"/v1/studio/jobs/{job['id']}", headers=other).status_code == 404
    retry = client.post(f"/v1/studio/jobs/{job['id']}/retry", headers=creator)
    assert retry.status_code == 409 and retry.json()["type"].endswith("conflict")


def test_bad_jobs_are_problem_documents(client: TestClient, admin_headers, app_headers) -> None:
    unknown = client.post("/v1/studio/jobs", json={"kind": "nope"}, headers=admin_headers)
    assert unknown.status_code == 422 and unknown.json()["field"] == "kind"
    bad = client.post(
        "/v1/studio/jobs",
        json={"kind": "adapt", "params": {"novel_text": "x", "engine": "gpt"}},
        headers=admin_headers,
    )
    assert bad.status_code == 422 and bad.json()["field"] == "engine"
    assert client.get("/v1/studio/jobs", headers=app_headers).status_code == 403
    assert client.get("/v1/studio/jobs/job_nope", headers=admin_headers).status_code == 404
    listed = client.get("/v1/studio/jobs", headers=admin_headers)
    assert listed.status_code == 200 and json.loads(listed.text) == []


def test_failed_adapt_job_can_be_cancelled_or_retried(client: TestClient, admin_headers) -> None:
    body = {"kind": "adapt", "params": {"novel_text": "太短了。", "episodes": 5}}
    job = client.post("/v1/studio/jobs", json=body, headers=admin_headers).json()
    done = _wait(client, job["id"], admin_headers)
    assert done["status"] == "failed" and done["error_code"] == "invalid-input"
    cancel = client.post(f"/v1/studio/jobs/{job['id']}/cancel", headers=admin_headers)
    assert cancel.status_code == 409
    retried = client.post(f"/v1/studio/jobs/{job['id']}/retry", headers=admin_headers)
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert _wait(client, job["id"], admin_headers)["attempts"] == 2
