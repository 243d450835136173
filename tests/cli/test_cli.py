import re
from pathlib import Path

from typer.testing import CliRunner

from laotie.cli import app
from laotie.cli.reference import command_paths

runner = CliRunner()
DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in ("init", "serve", "demo", "keys", "events", "bench"):
        assert re.search(rf"\b{name}\b", result.output)


def test_every_command_has_help_with_an_example():
    for path in command_paths():
        result = runner.invoke(app, [*path.split(), "--help"])
        assert result.exit_code == 0, path
        assert "Example" in result.output or "example" in result.output, f"{path} needs an example"


def test_every_command_is_in_the_cli_reference():
    text = DOCS.read_text(encoding="utf-8")
    missing = [p for p in command_paths() if f"laotie {p}" not in text]
    assert not missing, f"regenerate docs/cli.md (python -m laotie.cli.reference): {missing}"


def test_init_keys_and_errors_in_a_temp_home(tmp_path):
    home = tmp_path / "h"
    assert runner.invoke(app, ["--home", str(home), "init"]).exit_code == 0
    created = runner.invoke(app, ["--home", str(home), "keys", "create", "--role", "app", "--json"])
    assert created.exit_code == 0 and '"key": "lt_' in created.output
    listed = runner.invoke(app, ["--home", str(home), "keys", "list", "--json"])
    assert '"role": "app"' in listed.output and "lt_" not in listed.output
    refused = runner.invoke(app, ["--home", str(home), "keys", "create", "--role", "creator"])
    assert refused.exit_code == 2 and "scope" in refused.output


def test_demo_without_serving_then_export(tmp_path):
    home = tmp_path / "h"
    result = runner.invoke(
        app, ["--home", str(home), "demo", "--no-serve", "--users", "10", "--items", "30"]
    )
    assert result.exit_code == 0, result.output
    out = tmp_path / "events.csv"
    exported = runner.invoke(app, ["--home", str(home), "events", "export", str(out)])
    assert exported.exit_code == 0 and out.read_text().count("\n") > 10
    wrong = runner.invoke(app, ["--home", str(home), "events", "export", str(tmp_path / "x.xlsx")])
    assert wrong.exit_code == 2 and "out" in wrong.output
