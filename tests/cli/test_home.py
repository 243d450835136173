"""Which home a command uses: only ``init`` and ``demo`` make one; the others say where they
looked when there is none, and in a terminal which home they use."""

import io
import os
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from laotie.cli import _common, app

runner = CliRunner()


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no home in it, the current folder, and no LAOTIE_ variables set."""
    for name in list(os.environ):
        if name.startswith("LAOTIE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_command_run_where_there_is_no_home_refuses_and_creates_nothing(elsewhere: Path):
    result = runner.invoke(app, ["feed", "u1"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"no laotie home at {elsewhere / '.laotie'}" in text
    assert "LAOTIE_HOME" in text and "./.laotie" in text and "laotie init" in text
    assert not (elsewhere / ".laotie").exists()


def test_the_error_names_the_laotie_home_it_was_given(elsewhere: Path):
    result = runner.invoke(app, ["--home", "elsewhere-home", "keys", "list"])
    assert result.exit_code == 2
    assert "elsewhere-home (--home)" in " ".join(result.output.split())
    assert not (elsewhere / "elsewhere-home").exists()


def test_init_makes_the_home_the_other_commands_then_use(elsewhere: Path):
    made = runner.invoke(app, ["init"])
    assert made.exit_code == 0 and (elsewhere / ".laotie" / "laotie.db").is_file()
    listed = runner.invoke(app, ["keys", "list", "--json"])
    assert listed.exit_code == 0 and listed.output.strip() == "[]"


def test_an_empty_folder_is_not_a_home(elsewhere: Path):
    (elsewhere / "empty").mkdir()
    result = runner.invoke(app, ["--home", "empty", "keys", "list"])
    assert result.exit_code == 2 and not (elsewhere / "empty" / "laotie.db").exists()


def test_in_a_terminal_a_command_says_which_home_it_uses(
    elsewhere: Path, monkeypatch: pytest.MonkeyPatch
):
    assert runner.invoke(app, ["init"]).exit_code == 0
    said = io.StringIO()
    monkeypatch.setattr(_common, "err_console", Console(file=said, force_terminal=True))
    assert runner.invoke(app, ["keys", "list", "--json"]).exit_code == 0
    assert f"laotie home: {elsewhere / '.laotie'}" in said.getvalue()
