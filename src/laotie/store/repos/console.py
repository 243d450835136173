"""Console accounts (argon2id password hashes) and server-side sign-in sessions.

A session is a random token in the browser's cookie; the store keeps only its SHA-256, the
principal it acts as (role and scope, exactly like an API key) and the session's CSRF token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from laotie.core.errors import Conflict, InvalidInput, Unauthenticated
from laotie.core.kinds import Role
from laotie.store.repos.access import Principal, authenticate
from laotie.store.tables import ApiKey, ConsoleSession, ConsoleUser

#: how long a sign-in lasts, milliseconds (12 hours)
SESSION_TTL_MS = 12 * 3600 * 1000
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 256
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
_hasher = PasswordHasher()


@dataclass(frozen=True)
class SignedIn:
    """A live session: who it acts as and the token every form must echo (CSRF)."""

    principal: Principal
    subject: str
    csrf_token: str


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role | str,
    scope: str | None,
    now_ms: int,
) -> None:
    """Create a console account; the password is stored only as an argon2id hash."""
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            "username must be 1-64 letters, digits, '_', '.' or '-'",
            field="username",
            limit=USERNAME_PATTERN.pattern,
        )
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"password must be {MIN_PASSWORD_CHARS}-{MAX_PASSWORD_CHARS} characters",
            field="password",
            limit=MIN_PASSWORD_CHARS,
        )
    role = Role(role)
    if role in (Role.CREATOR, Role.ADVERTISER) and not scope:
        raise InvalidInput(f"a {role} account needs a scope (its {role} id)", field="scope")
    if session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username)):
        raise Conflict(f"console user {username!r} exists", field="username")
    session.add(
        ConsoleUser(
            username=username,
            password_hash=_hasher.hash(password),
            role=str(role),
            scope=scope,
            created_at_ms=now_ms,
        )
    )
    session.flush()


def check_password(session: Session, *, username: str, password: str) -> Principal:
    """The principal of an account whose password matches; Unauthenticated otherwise."""
    row = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    if row is None or row.disabled_at_ms is not None:
        # hash anyway so an unknown name takes as long as a wrong password
        _hasher.hash(password)
        raise Unauthenticated("unknown user or wrong password")
    try:
        _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise Unauthenticated("unknown user or wrong password") from exc
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return Principal(f"user:{row.username}", Role(row.role), row.scope)


def open_session(session: Session, *, principal: Principal, subject: str, now_ms: int) -> str:
    """Record a new sign-in; returns the cookie token (shown once, stored hashed)."""
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_sha256(token),
            subject=subject,
            role=str(principal.role),
            scope=principal.scope,
            csrf_token=secrets.token_urlsafe(32),
            created_at_ms=now_ms,
            expires_at_ms=now_ms + SESSION_TTL_MS,
        )
    )
    session.flush()
    return token


def sign_in_with_key(session: Session, *, key: str, now_ms: int) -> str:
    """Open a session acting as an API key's principal; the key itself is not kept."""
    principal = authenticate(session, key=key.strip())
    return open_session(
        session, principal=principal, subject=f"key:{principal.key_id}", now_ms=now_ms
    )


def load_session(session: Session, *, token: str, now_ms: int) -> SignedIn | None:
    """The live session of a cookie token, or None when unknown, expired or its key revoked."""
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _sha256(token)))
    if row is None or row.expires_at_ms <= now_ms:
        return None
    kind, _, name = row.subject.partition(":")
    if kind == "key":
        revoked = session.scalar(select(ApiKey.revoked_at_ms).where(ApiKey.key_id == name))
        if revoked is not None:
            return None
        key_id = name
    else:
        disabled = session.scalar(
            select(ConsoleUser.disabled_at_ms).where(ConsoleUser.username == name)
        )
        if disabled is not None:
            return None
        key_id = row.subject
    return SignedIn(Principal(key_id, Role(row.role), row.scope), row.subject, row.csrf_token)


def close_session(session: Session, *, token: str) -> None:
    """Sign a browser out (its token no longer opens anything)."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _sha256(token)))
