"""The ``laotie`` command line: one command group per area.

Commands are registered in ``COMMANDS`` by import path and loaded when they run or show their
own help, so that ``laotie --help`` and ``--version`` answer without importing the areas
(the feed's models, scipy, polars, the studio's text tools take seconds to import).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

from laotie import __version__
from laotie.cli._common import console, err_console, services, settings, use_home
from laotie.core.errors import LaotieError

if TYPE_CHECKING:
    # recent typer releases carry their own copy of click; these are the types its classes use
    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True)
class LazyCommand:
    """A command known by import path: ``module:attribute``, a ``typer.Typer`` group or a
    command function; ``help`` is its help's first paragraph, listed by ``laotie --help``."""

    target: str
    help: str

    def load(self, name: str) -> Command:
        """Import the target and build its click command, named ``name``."""
        module_name, _, attribute = self.target.partition(":")
        target = getattr(importlib.import_module(module_name), attribute)
        if isinstance(target, typer.Typer):
            command: Command = typer.main.get_group(target)
        else:
            single = typer.Typer(add_completion=False)
            single.command(name)(target)
            command = typer.main.get_command(single)
        command.name = name
        return command


#: every command in the order ``laotie --help`` lists them (add a command here, not with
#: ``app.add_typer``, which would import it at start); a test keeps each ``help`` equal to the
#: loaded command's own
COMMANDS: dict[str, LazyCommand] = {
    "worker": LazyCommand(
        "laotie.cli.worker:worker",
        "Run periodic jobs: compaction 03:00, training 04:00, digests 08:00 (local).",
    ),
    "bench": LazyCommand(
        "laotie.cli.bench:bench",
        "Measure an area against its peer in the same run. Example: laotie bench ingest --quick",
    ),
    "demo": LazyCommand(
        "laotie.cli.demo:demo",
        "Simulate a platform, report its KPIs, serve the API. Example: laotie demo --no-serve",
    ),
    "feed": LazyCommand(
        "laotie.cli.feed:feed",
        "Show a user's feed page (an inspection: nothing logged unless --log).",
    ),
    "train": LazyCommand(
        "laotie.cli.feed:train",
        "Train a new model version from the event log and make it current. Example: laotie train",
    ),
    "evaluate": LazyCommand(
        "laotie.cli.feed:evaluate",
        "Evaluate the pipeline against popular, plain ALS, EASE and random baselines.",
    ),
    "init": LazyCommand(
        "laotie.cli:init",
        "Create the home and apply every database migration. Example: laotie init",
    ),
    "serve": LazyCommand(
        "laotie.cli:serve",
        "Serve the HTTP API. Example: laotie serve --port 8000 --workers 4",
    ),
    "keys": LazyCommand(
        "laotie.cli.keys:app",
        "Manage API keys (stored hashed; a key is shown once, at creation).",
    ),
    "users": LazyCommand(
        "laotie.cli.users:app",
        "Manage web console accounts (sign in at / with a user name and password).",
    ),
    "events": LazyCommand(
        "laotie.cli.events:app", "The event log: export it, compact completed days into the lake."
    ),
    "import": LazyCommand(
        "laotie.cli.importers:app",
        "Import public recommendation datasets into the home (see docs/importers.md).",
    ),
    "sim": LazyCommand(
        "laotie.cli.sim:app", "Simulate users on the real services; A/B test configurations."
    ),
    "studio": LazyCommand(
        "laotie.cli.studio:app", "AI studio: novel -> micro-drama adaptation, review, jobs."
    ),
    "trust": LazyCommand(
        "laotie.cli.trust:app",
        "Trust: AIGC labels, originality, spam checks and the review queue.",
    ),
    "ads": LazyCommand(
        "laotie.cli.ads:app",
        "Ads: advertisers, campaigns, creatives, reports (money in fen / yuan).",
    ),
    "report": LazyCommand(
        "laotie.cli.report:app",
        "KPI reports over the event lake (DAU, watch time, retention, revenue).",
    ),
    "teams": LazyCommand(
        "laotie.cli.teams:app",
        "Team watch-time programme: organisations, teams, members, managers, digests.",
    ),
    "commerce": LazyCommand(
        "laotie.cli.commerce:app",
        "Commerce: coins, paid episodes, live rooms, gifts, shops, orders.",
    ),
    "similar": LazyCommand(
        "laotie.cli.feed:similar_app", "Items or users like a given one (trained vectors)."
    ),
}


class _Listed(TyperCommand):
    """A command as ``laotie --help`` lists it: name and help, nothing imported."""


class _LaotieGroup(TyperGroup):
    """Loads each command of ``COMMANDS`` when it is first needed, and turns laotie errors
    raised by any command into a one-line message and exit code 2."""

    _listing = False

    def __init__(self, **attrs: object) -> None:
        super().__init__(**attrs)  # type: ignore[arg-type]
        # stand-ins until loaded: listed by --help, and the names typos are matched against
        for name, lazy in COMMANDS.items():
            self.commands.setdefault(name, _Listed(name, help=lazy.help))

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, _Listed) and not self._listing:
            command = self.commands[cmd_name] = COMMANDS[cmd_name].load(cmd_name)
        return command

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LaotieError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(2) from exc


def _print_version(value: bool) -> None:
    if value:
        console.print(f"laotie {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=_LaotieGroup,
    name="laotie",
    help="laotie (老铁): produce, distribute, monetize, trust and measure short-form content.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    home: Annotated[
        Path | None, typer.Option("--home", help="data dir (overrides LAOTIE_HOME)")
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="print the version and exit", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    use_home(home)


def init() -> None:
    """Create the home and apply every database migration. Example: laotie init"""
    svc = services(create=True)
    console.print(
        f"laotie home ready at {svc.settings.home.resolve()} ({len(svc.db.table_names())} tables)"
    )


def serve(
    host: Annotated[str | None, typer.Option(help="bind host (default LAOTIE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="bind port (default LAOTIE_PORT)")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1, max=64, help="API processes sharing the port and database (docs/deploy.md)"
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API. Example: laotie serve --port 8000 --workers 4"""
    from laotie.cli._serving import serve_api

    config = settings()
    serve_api(services(), host=host or config.host, port=port or config.port, workers=workers)


def main() -> None:
    """Entry point of the ``laotie`` command."""
    app()
