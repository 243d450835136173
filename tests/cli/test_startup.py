"""``laotie --help`` and ``--version`` answer without importing the areas; commands load lazily."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from laotie import __version__
from laotie.cli import COMMANDS, app
from laotie.cli.reference import command_paths

#: what takes seconds to import and no help text needs
HEAVY = ("scipy", "lightgbm", "polars", "numpy", "sqlalchemy", "fastapi", "laotie.wiring")


def _modules_after(*args: str) -> tuple[str, list[str]]:
    """Run ``laotie ARGS`` in a fresh interpreter: its output and the heavy modules it imported."""
    script = (
        "import contextlib, io, json, sys\n"
        "from laotie.cli import main\n"
        f"sys.argv = ['laotie', *{list(args)!r}]\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print(json.dumps([out.getvalue(), [m for m in {HEAVY!r} if m in sys.modules]]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    output, heavy = json.loads(done.stdout.splitlines()[-1])
    return output, heavy


def test_help_and_version_import_no_area() -> None:
    output, heavy = _modules_after("--help")
    assert heavy == [], f"`laotie --help` imported {heavy}; import them inside the command"
    assert "feed" in output and "report" in output
    output, heavy = _modules_after("--version")
    assert heavy == [] and output.strip() == f"laotie {__version__}"


def test_a_group_help_loads_only_its_own_module() -> None:
    output, heavy = _modules_after("keys", "--help")
    assert "create" in output and "revoke" in output
    assert "scipy" not in heavy and "lightgbm" not in heavy and "laotie.wiring" not in heavy


def test_version_exits_zero() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"laotie {__version__}"


def test_each_listed_help_is_the_commands_own() -> None:
    for name, lazy in COMMANDS.items():
        own = lazy.load(name).help or ""
        first = " ".join(own.split("\n\n")[0].split())
        assert lazy.help == first, f"COMMANDS[{name!r}].help differs from its command's: {first}"


def test_a_typo_is_answered_with_the_close_name() -> None:
    result = CliRunner().invoke(app, ["fed"])
    assert result.exit_code == 2 and "feed" in result.output


def test_the_reference_walks_into_every_lazily_loaded_group() -> None:
    paths = command_paths()
    assert {"init", "serve", "feed", "keys create", "studio jobs list", "sim ab"} <= set(paths)
    assert len(paths) == len(set(paths))
