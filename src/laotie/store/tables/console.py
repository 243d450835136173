"""Web console accounts (argon2 password hashes) and their sign-in sessions."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class ConsoleUser(Base):
    """A person who signs in to the console; carries a role and scope like an API key."""

    __tablename__ = "console_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(128))
    created_at_ms: Mapped[int]
    disabled_at_ms: Mapped[int | None]


class ConsoleSession(Base):
    """A signed-in browser: ``token_hash`` is SHA-256 of the cookie's token, never the token."""

    __tablename__ = "console_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: ``user:<username>`` or ``key:<api key id>``: what the session was opened with
    subject: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(128))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at_ms: Mapped[int]
    expires_at_ms: Mapped[int]
