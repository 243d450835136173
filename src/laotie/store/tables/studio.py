"""Studio tables: jobs (adaptations, renders...) with status, progress, result and error."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from laotie.store.tables.base import Base


class StudioJob(Base):
    """One unit of studio work run by a worker; ``kind`` picks the handler.

    ``status`` is ``queued``, ``running``, ``succeeded``, ``failed`` or ``cancelled``;
    ``progress`` is 0..1; ``cancel_requested`` lets any process ask a running job to stop.
    A running job holds a lease (``lease_until_ms``) that its ``worker`` renews; once the
    lease lapses the worker is taken for dead and the job can be claimed again.
    """

    __tablename__ = "studio_jobs"
    __table_args__ = (Index("ix_studio_jobs_status", "status", "created_at_ms"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(default=None, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    owner: Mapped[str | None] = mapped_column(String(128), nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    created_at_ms: Mapped[int]
    updated_at_ms: Mapped[int]
    started_at_ms: Mapped[int | None] = mapped_column(nullable=True)
    finished_at_ms: Mapped[int | None] = mapped_column(nullable=True)
    lease_until_ms: Mapped[int | None] = mapped_column(nullable=True)
    worker: Mapped[str | None] = mapped_column(String(128), nullable=True)
