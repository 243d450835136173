"""Helpers every CLI module shares: the console, settings/services loading, JSON output."""

from __future__ import annotations

import json
import logging
from typing import Any

from rich.console import Console

from laotie.core.settings import Settings, load_settings
from laotie.wiring import Services, build_services

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    """Validated settings from the environment (``--home`` sets LAOTIE_HOME)."""
    return load_settings()


def services() -> Services:
    """Services built on the current settings, with migrations applied and logging set up."""
    config = settings()
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # libraries that narrate their start-up at INFO; faiss's reads like an error ("Could not
    # load library with AVX2 support") on every CPU without its AVX2 build
    for name in ("alembic", "faiss.loader"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return build_services(config)


def emit_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (for ``--json``)."""
    console.print_json(json.dumps(value, ensure_ascii=False, default=str))
