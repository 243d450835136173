"""``laotie keys``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from laotie.cli._common import console, emit_json, services
from laotie.core.kinds import Role
from laotie.store.repos import access

app = typer.Typer(help="Manage API keys (stored hashed; a key is shown once, at creation).")


@app.command("create")
def create(
    role: Annotated[Role, typer.Option(help="admin | creator | advertiser | app")],
    scope: Annotated[
        str | None, typer.Option(help="creator id or advertiser account id the key is bound to")
    ] = None,
    name: Annotated[str, typer.Option(help="a label for the key")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """Create a key. Example: laotie keys create --role creator --scope c_001"""
    svc = services()
    with svc.db.session() as session:
        key, principal = access.create_key(session, role=role, scope=scope, name=name)
    if as_json:
        emit_json({"key": key, "key_id": principal.key_id, "role": principal.role, "scope": scope})
        return
    console.print(f"[bold green]{key}[/]")
    console.print("Store it now: it is shown only once (laotie keeps a hash).")


@app.command("list")
def list_(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List keys (ids, roles, scopes; never secrets). Example: laotie keys list"""
    svc = services()
    with svc.db.session() as session:
        rows = access.list_keys(session)
    if as_json:
        emit_json(rows)
        return
    table = Table("key_id", "role", "scope", "name", "revoked")
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("key_id", "role", "scope", "name", "revoked")))
    console.print(table)


@app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="the key's id (from keys list)")]) -> None:
    """Revoke a key. Example: laotie keys revoke 3f2a9c1e0b7d4455"""
    svc = services()
    with svc.db.session() as session:
        access.revoke_key(session, key_id=key_id)
    console.print(f"revoked {key_id}")
