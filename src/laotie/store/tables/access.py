"""API keys: stored hashed, each carrying a role and an optional scope."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class ApiKey(Base):
    """An API key; ``secret_hash`` is SHA-256 of the secret part, never the key itself."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at_ms: Mapped[int]
    revoked_at_ms: Mapped[int | None]
