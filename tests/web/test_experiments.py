"""Experiments: an admin starts a simulated A/B, watches it, reads deltas with intervals."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient

from .conftest import csrf_of, sign_in


@pytest.mark.slow
def test_admin_runs_an_ab_to_its_deltas(app_client: TestClient) -> None:
    sign_in(app_client, "admin")
    token = csrf_of(app_client.get("/experiments").text)
    form = {"policy_a": "random", "policy_b": "popular", "users": "30", "days": "1"}
    started = app_client.post(
        "/experiments",
        data={**form, "replicates": "2", "videos": "120", "csrf_token": token},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    page = started.headers["location"]
    deadline = time.monotonic() + 180
    while True:
        status = app_client.get(page, headers={"HX-Request": "true"}).text
        if "succeeded" in status or "failed" in status or time.monotonic() > deadline:
            break
        assert 'hx-trigger="every 1s"' in status  # the part keeps polling while it runs
        time.sleep(0.5)
    assert "succeeded" in status, status
    assert "hx-trigger" not in status  # done: the polling stops
    assert "watch_minutes_per_user" in status and "95% CI" in status
    assert re.search(r"<td class=\"num\">[0-2] / 2</td>", status)  # B ahead in k of 2
    bad = app_client.post(
        "/experiments",
        data={**form, "replicates": "0", "videos": "120", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "replicates" in bad.text and "greater than or equal to 1" in bad.text


def test_other_roles_may_not_run_experiments(app_client: TestClient) -> None:
    sign_in(app_client, "advertiser")
    assert app_client.get("/experiments").status_code == 403
    token = csrf_of(app_client.get("/ads").text)
    refused = app_client.post(
        "/experiments", data={"policy_a": "random", "policy_b": "popular", "csrf_token": token}
    )
    assert refused.status_code == 403
