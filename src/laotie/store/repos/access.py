"""API keys: created once (the full key is shown only then), stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from laotie.core.clock import now_ms
from laotie.core.errors import InvalidInput, NotFound, Unauthenticated
from laotie.core.kinds import Role
from laotie.store.tables import ApiKey

KEY_PREFIX = "lt_"


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the key's id, its role, and its scope (creator/advertiser id)."""

    key_id: str
    role: Role
    scope: str | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    session: Session, *, role: Role | str, scope: str | None = None, name: str = ""
) -> tuple[str, Principal]:
    """Create a key; returns the full key (shown once, never stored) and its principal."""
    role = Role(role)
    if role in (Role.CREATOR, Role.ADVERTISER) and not scope:
        raise InvalidInput(f"a {role} key needs a scope (its {role} id)", field="scope")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            key_id=key_id,
            secret_hash=_hash(secret),
            role=str(role),
            scope=scope,
            name=name,
            created_at_ms=now_ms(),
        )
    )
    session.flush()
    return f"{KEY_PREFIX}{key_id}.{secret}", Principal(key_id, role, scope)


def authenticate(session: Session, *, key: str) -> Principal:
    """The principal of a presented key; Unauthenticated if it is malformed, unknown or revoked."""
    if not key.startswith(KEY_PREFIX) or "." not in key:
        raise Unauthenticated("API key is malformed; expected lt_<id>.<secret>")
    key_id, secret = key[len(KEY_PREFIX) :].split(".", 1)
    row = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if row is None or row.revoked_at_ms is not None:
        raise Unauthenticated("API key is unknown or revoked")
    if not hmac.compare_digest(row.secret_hash, _hash(secret)):
        raise Unauthenticated("API key does not match")
    return Principal(row.key_id, Role(row.role), row.scope)


def revoke_key(session: Session, *, key_id: str) -> None:
    """Revoke a key by its id; NotFound if there is none."""
    row = session.scalar(select(ApiKey).where(ApiKey.key_id == key_id))
    if row is None:
        raise NotFound(f"API key {key_id!r} not found", field="key_id")
    row.revoked_at_ms = now_ms()


def list_keys(session: Session) -> list[dict[str, object]]:
    """Every key's id, role, scope, name and dates (never a secret)."""
    rows = session.scalars(select(ApiKey).order_by(ApiKey.id))
    return [
        {
            "key_id": r.key_id,
            "role": r.role,
            "scope": r.scope,
            "name": r.name,
            "created_at_ms": r.created_at_ms,
            "revoked": r.revoked_at_ms is not None,
        }
        for r in rows
    ]
