"""The ``laotie`` command line: one command group per area."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from laotie import __version__
from laotie.cli import ads as ads_cli
from laotie.cli import bench, demo, events, importers, keys
from laotie.cli import commerce as commerce_cli
from laotie.cli import feed as feed_cli
from laotie.cli import report as report_cli
from laotie.cli import sim as sim_cli
from laotie.cli import studio as studio_cli
from laotie.cli import teams as teams_cli
from laotie.cli import trust as trust_cli
from laotie.cli import worker as worker_cli
from laotie.cli._common import console, err_console, services, settings
from laotie.core.errors import LaotieError


class _LaotieGroup(TyperGroup):
    """Turns laotie errors raised by any command into a one-line message and exit code 2."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LaotieError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}")
            raise typer.Exit(2) from exc


app = typer.Typer(
    cls=_LaotieGroup,
    name="laotie",
    help="laotie (老铁): produce, distribute, monetize, trust and measure short-form content.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(keys.app, name="keys")
app.add_typer(events.app, name="events")
app.add_typer(importers.app, name="import")
app.add_typer(sim_cli.app, name="sim")
app.add_typer(studio_cli.app, name="studio")
app.add_typer(trust_cli.app, name="trust")
app.add_typer(ads_cli.app, name="ads")
app.add_typer(report_cli.app, name="report")
app.add_typer(teams_cli.app, name="teams")
app.add_typer(commerce_cli.app, name="commerce")
app.command("worker")(worker_cli.worker)
app.command("bench")(bench.bench)
app.command("demo")(demo.demo)
app.command("feed")(feed_cli.feed)
app.command("train")(feed_cli.train)
app.command("evaluate")(feed_cli.evaluate)


@app.callback()
def _root(
    home: Annotated[
        Path | None, typer.Option("--home", help="data dir (overrides LAOTIE_HOME)")
    ] = None,
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        console.print(__version__)
        raise typer.Exit()
    if home is not None:
        os.environ["LAOTIE_HOME"] = str(home)


@app.command("init")
def init() -> None:
    """Create the home and apply every database migration. Example: laotie init"""
    svc = services()
    console.print(
        f"laotie home ready at {svc.settings.home.resolve()} ({len(svc.db.table_names())} tables)"
    )


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="bind host (default LAOTIE_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="bind port (default LAOTIE_PORT)")] = None,
) -> None:
    """Serve the HTTP API. Example: laotie serve --port 8000"""
    import uvicorn

    from laotie.api import create_app
    from laotie.api.process import prepare_for_serving

    config = settings()
    svc = services()
    # load the served feed model now, so the first request does not pay for it
    svc.feed.model_version  # noqa: B018
    app_ = create_app(svc)
    prepare_for_serving()
    uvicorn.run(
        app_,
        host=host or config.host,
        port=port or config.port,
        log_level=config.log_level.lower(),
    )


def main() -> None:
    """Entry point of the ``laotie`` command."""
    app()
