"""laotie (老铁): an open, self-hostable engine for an AI-era short-form content platform."""

__version__ = "0.1.0"

__all__ = ["__version__"]
