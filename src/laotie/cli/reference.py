"""Generate ``docs/cli.md`` from the commands' ``--help``: ``python -m laotie.cli.reference``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer.main
from typer.testing import CliRunner

from laotie.cli import app


def command_paths() -> list[str]:
    """Every leaf command of the CLI as a space-separated path, in declaration order."""
    found: list[str] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            found.append(" ".join(path))
            return
        for name, sub in subcommands.items():
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


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/cli.md")
    target.write_text(render(), encoding="utf-8")
