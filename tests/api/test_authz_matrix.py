"""The authorization matrix: every route of the OpenAPI document x every role, against the one
expectation table ``authz_matrix.toml``. A route without an expectation fails by name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from laotie.api import create_app

TABLE = Path(__file__).with_name("authz_matrix.toml")
ROLES = ("admin", "advertiser", "creator", "app", "person", "none")
KEYS = {
    "admin": ("admin", None),
    "advertiser": ("advertiser", "adv1"),
    "creator": ("creator", "c1"),
    "app": ("app", None),
    "person": ("app", "person:u1"),
}


def _expected() -> dict[str, frozenset[str]]:
    table = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    groups = {name: frozenset(roles) for name, roles in table["groups"].items()}
    for name, roles in groups.items():
        assert roles <= set(ROLES), f"group {name} names an unknown role: {roles - set(ROLES)}"
    return {route: groups[group] for route, group in table["routes"].items()}


def _routes(app) -> list[str]:
    spec = app.openapi()
    return [
        f"{method.upper()} {path}"
        for path, operations in spec["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _outcome(response) -> str:
    """What the role check did: unauthenticated, denied for the role, or let it pass."""
    if response.status_code == 401:
        return "unauthenticated"
    if response.status_code == 403 and response.json().get("field") == "role":
        return "role-denied"
    return "passed"


@pytest.fixture
def matrix_client(services, make_headers):
    app = create_app(services)
    app.state.guard.failed_auth = []  # anonymous probes on purpose; the lockout is tested apart
    headers = {role: make_headers(kind, scope) for role, (kind, scope) in KEYS.items()}
    headers["none"] = {}
    with TestClient(app) as client:
        yield client, headers


def test_every_route_has_an_expectation(services) -> None:
    routes = _routes(create_app(services))
    expected = _expected()
    missing = [r for r in routes if r not in expected]
    assert not missing, (
        f"routes without an expectation in {TABLE.name} (add a line under [routes]): {missing}"
    )


def test_every_route_admits_exactly_its_roles(matrix_client) -> None:
    client, headers = matrix_client
    expected = _expected()
    wrong = []
    for route in _routes(client.app):
        if route not in expected:
            continue  # reported by test_every_route_has_an_expectation
        method, path = route.split(" ", 1)
        url = re.sub(r"\{[^}]+\}", "x1", path)
        for role in ROLES:
            body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
            response = client.request(method, url, headers=headers[role], **body)
            got = _outcome(response)
            if role in expected[route]:
                want = "passed"
            else:
                want = "unauthenticated" if role == "none" else "role-denied"
            if got != want:
                wrong.append(
                    f"{route} as {role}: expected {want}, got {response.status_code} {got}"
                )
    assert not wrong, "\n".join(wrong)
