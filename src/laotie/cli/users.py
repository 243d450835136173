"""``laotie users``: console accounts (password stored as an argon2id hash)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from laotie.cli._common import console, services
from laotie.core.kinds import Role
from laotie.store.repos import console as accounts

app = typer.Typer(help="Manage web console accounts (sign in at / with a user name and password).")


@app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="the name to sign in with")],
    role: Annotated[Role, typer.Option(help="admin | creator | advertiser | app")],
    scope: Annotated[
        str | None,
        typer.Option(help="creator id, advertiser id, or person:<user id> for an app account"),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """Create an account. Example: laotie users create alice --role admin"""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    svc = services()
    with svc.db.session() as session:
        accounts.create_user(
            session,
            username=username,
            password=password,
            role=role,
            scope=scope,
            now_ms=svc.clock.now_ms(),
        )
    console.print(f"created console user {username} ({role}{', ' + scope if scope else ''})")
