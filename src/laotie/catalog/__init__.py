"""The catalog door: every writer of items (studio, imports, the simulator, the API) adds
them here, and trust screens each before the feed may distribute it."""

from laotie.catalog.service import CatalogService, ItemScreen

__all__ = ["CatalogService", "ItemScreen"]
