"""``laotie users create``: an account that can sign in, and clear refusals."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.settings import load_settings
from laotie.store.repos import console as accounts
from laotie.wiring import build_services

runner = CliRunner()


def test_create_an_account_from_stdin(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    created = runner.invoke(
        app,
        [
            "--home",
            str(home),
            "users",
            "create",
            "shop1",
            "--role",
            "advertiser",
            "--scope",
            "adv_1",
            "--password-stdin",
        ],
        input="a long passphrase\n",
    )
    assert created.exit_code == 0, created.output
    services = build_services(load_settings(home=home))
    try:
        with services.db.session() as session:
            principal = accounts.check_password(
                session, username="shop1", password="a long passphrase"
            )
    finally:
        services.close()
    assert (principal.role, principal.scope) == ("advertiser", "adv_1")
    short = runner.invoke(
        app,
        ["--home", str(home), "users", "create", "x", "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code != 0 and "password" in short.output
    unscoped = runner.invoke(
        app,
        ["--home", str(home), "users", "create", "y", "--role", "creator", "--password-stdin"],
        input="a long passphrase\n",
    )
    assert unscoped.exit_code != 0 and "scope" in unscoped.output
