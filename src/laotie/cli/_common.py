"""Helpers every CLI module shares: the console, settings/services loading, JSON output."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from laotie.core.errors import NotFound
from laotie.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from laotie.wiring import Services

console = Console()
err_console = Console(stderr=True)


#: settings given on the command line (``--home``): they win over file and environment
_explicit: dict[str, Any] = {}


def use_home(home: Path | None) -> None:
    """Make ``home`` this command's home (``--home``, over LAOTIE_HOME and the file); None
    leaves the choice to them."""
    if home is None:
        _explicit.pop("home", None)
    else:
        _explicit["home"] = home


def settings() -> Settings:
    """Validated settings: defaults < file < environment < the command line."""
    return load_settings(**_explicit)


def home_exists(config: Settings) -> bool:
    """Whether a home was made at ``config.home``: its database file, or with an external
    database (LAOTIE_DATABASE_URL) its folder."""
    if config.database_url:
        return config.home.is_dir()
    return (config.home / "laotie.db").is_file()


def services(*, create: bool = False) -> Services:
    """Services built on the current settings, with migrations applied and logging set up.

    Only ``create=True`` (``laotie init``) makes a new home; otherwise a missing home is an
    error naming the folder and LAOTIE_HOME, so that a command run from the wrong folder
    does not quietly start an empty platform there.
    """
    config = settings()
    home = config.home.resolve()
    if not create and not home_exists(config):
        source = (
            "--home"
            if "home" in _explicit
            else "from LAOTIE_HOME or the file; the default is ./.laotie in the current folder"
        )
        raise NotFound(
            f"no laotie home at {home} ({source}); point LAOTIE_HOME or --home at an "
            "existing home, or make one with `laotie init` or `laotie demo`",
            field="LAOTIE_HOME",
        )
    if err_console.is_terminal:  # pipes and --json readers get only the output
        err_console.print(f"[dim]laotie home: {home}[/]", highlight=False, soft_wrap=True)
    logging.basicConfig(
        level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # libraries that narrate their start-up at INFO; faiss's reads like an error ("Could not
    # load library with AVX2 support") on every CPU without its AVX2 build
    for name in ("alembic", "faiss.loader"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from laotie.wiring import build_services

    return build_services(config)


def emit_json(value: Any) -> None:
    """Print ``value`` as JSON on stdout (for ``--json``)."""
    console.print_json(json.dumps(value, ensure_ascii=False, default=str))
