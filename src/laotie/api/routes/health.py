"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from laotie import __version__
from laotie.api.deps import ServicesDep

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health")
def health(services: ServicesDep) -> dict[str, object]:
    """Whether the store answers; no key needed."""
    with services.db.session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}
