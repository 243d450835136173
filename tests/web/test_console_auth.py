"""Sign-in with a password or an API key, the session cookie, CSRF and sign-out."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from laotie.store.repos import access
from laotie.store.tables import ConsoleUser
from laotie.wiring import Services

from .conftest import PASSWORD, csrf_of, sign_in


def test_pages_need_a_session(app_client: TestClient) -> None:
    app_client.cookies.clear()
    response = app_client.get("/ads", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/ads"


def test_password_is_stored_as_argon2id(world: Services) -> None:
    with world.db.session() as session:
        stored = session.scalar(
            select(ConsoleUser.password_hash).where(ConsoleUser.username == "admin")
        )
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored


def test_session_cookie_flags(app_client: TestClient) -> None:
    app_client.cookies.clear()
    page = app_client.get("/login")
    response = app_client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "username": "admin", "password": PASSWORD},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "lt_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; HTTPS gets Secure (next test)


def test_cookie_is_secure_over_https(world: Services) -> None:
    from laotie.api import create_app

    with TestClient(create_app(world), base_url="https://console.test") as client:
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"csrf_token": csrf_of(page.text), "username": "admin", "password": PASSWORD},
            follow_redirects=False,
        )
    assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_password_and_missing_csrf_are_refused(app_client: TestClient) -> None:
    app_client.cookies.clear()
    page = app_client.get("/login")
    wrong = app_client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "username": "admin", "password": "not it at all"},
    )
    assert wrong.status_code == 401 and "lt_session" not in wrong.headers.get("set-cookie", "")
    forged = app_client.post(
        "/login", data={"csrf_token": "x", "username": "admin", "password": PASSWORD}
    )
    assert forged.status_code == 403


def test_every_form_needs_the_session_csrf_token(app_client: TestClient) -> None:
    sign_in(app_client, "advertiser")
    body = {
        "advertiser_id": "sim-adv0",
        "name": "无令牌",
        "objective": "clicks",
        "bid_yuan": "1",
        "daily_budget_yuan": "100",
    }
    refused = app_client.post("/ads/campaigns", data=body, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    token = csrf_of(app_client.get("/ads").text)
    created = app_client.post(
        "/ads/campaigns", data={**body, "csrf_token": token}, follow_redirects=False
    )
    assert created.status_code == 303 and created.headers["location"].startswith("/ads/campaigns/")


def test_api_key_sign_in_ends_when_the_key_is_revoked(
    app_client: TestClient, world: Services
) -> None:
    with world.db.session() as session:
        key, principal = access.create_key(session, role="admin", name="console test")
    app_client.cookies.clear()
    page = app_client.get("/login")
    response = app_client.post(
        "/login", data={"csrf_token": csrf_of(page.text), "api_key": key}, follow_redirects=False
    )
    assert response.status_code == 303
    assert app_client.get("/trust").status_code == 200
    with world.db.session() as session:
        access.revoke_key(session, key_id=principal.key_id)
    assert app_client.get("/trust", follow_redirects=False).status_code == 303


def test_sign_out_closes_the_session(app_client: TestClient) -> None:
    sign_in(app_client, "admin")
    token = csrf_of(app_client.get("/catalog").text)
    cookie = app_client.cookies.get("lt_session")
    assert (
        app_client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code
        == 303
    )
    app_client.cookies.set("lt_session", cookie or "")
    assert app_client.get("/catalog", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_site(app_client: TestClient) -> None:
    app_client.cookies.clear()
    page = app_client.get("/login?next=//evil.example/")
    response = app_client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "admin",
            "password": PASSWORD,
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
