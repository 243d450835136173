"""HTTP API: FastAPI app, auth, one router module per area."""

from laotie.api.app import create_app

__all__ = ["create_app"]
