"""Generate ``docs/cli.md`` (from ``--help``) and ``docs/settings.md`` (from ``Settings``).

Run ``python -m laotie.cli.reference`` after adding a command or a setting.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
import typer.main
from typer.core import TyperGroup
from typer.testing import CliRunner

from laotie.cli import app
from laotie.core.settings import Settings

if TYPE_CHECKING:
    from typer._click import Command


def command_paths() -> list[str]:
    """Every leaf command of the CLI as a space-separated path, in declaration order."""
    found: list[str] = []

    def walk(command: Command, path: tuple[str, ...]) -> None:
        if not isinstance(command, TyperGroup):
            found.append(" ".join(path))
            return
        context = typer.Context(command)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)  # loads a lazily registered command
            if sub is not None:
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return found


def render() -> str:
    """The CLI reference as Markdown: one section per command with its help text."""
    runner = CliRunner()
    parts = ["# CLI reference\n", "Generated from `--help` by `python -m laotie.cli.reference`.\n"]
    for path in command_paths():
        output = runner.invoke(app, [*path.split(), "--help"], terminal_width=100).output
        parts.append(f"## laotie {path}\n\n```text\n{output.rstrip()}\n```\n")
    return "\n".join(parts)


def render_settings() -> str:
    """The settings reference as Markdown: variable, default and meaning of every setting."""
    rows = [
        "# Settings reference\n",
        "Generated from `laotie.core.settings.Settings` by `python -m laotie.cli.reference`.",
        "Each setting is an environment variable; the same names without the `LAOTIE_` prefix,",
        "in lower case, may be written in the TOML file (`LAOTIE_CONFIG`, default",
        "`$LAOTIE_HOME/laotie.toml`). Environment variables win over the file.\n",
        "| variable | default | meaning |",
        "|---|---|---|",
    ]
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        shown = "" if default in ("", None) else f"`{default}`"
        rows.append(f"| `LAOTIE_{name.upper()}` | {shown} | {field.description or ''} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    docs = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")
    (docs / "cli.md").write_text(render(), encoding="utf-8")
    (docs / "settings.md").write_text(render_settings(), encoding="utf-8")
