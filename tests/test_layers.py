"""The import contracts in ``.importlinter`` hold, and they do catch a violation.

``make test`` runs this file, so a change that breaks a layer fails the suite, not only
``make lint``. The violation test runs the very same contract file against a throwaway package
laid out like laotie, with one deliberate breach per kind of contract.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("api", "web", "cli", "engine", "sim", "wiring", "feed", "ads", "studio", "trust",
            "insights", "commerce", "catalog", "media", "store", "core")  # fmt: skip


def _lint(config: Path, *, cwd: Path, pythonpath: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": pythonpath}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(config)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300, check=False,
    )  # fmt: skip


def _verdicts(output: str) -> dict[str, str]:
    return dict(
        (m.group(1).strip(), m.group(2))
        for m in re.finditer(r"^(.+?) (KEPT|BROKEN)(?: \(.*\))?$", output, re.M)
    )


def test_laotie_keeps_its_import_contracts() -> None:
    done = _lint(CONFIG, cwd=ROOT, pythonpath=str(ROOT / "src"))
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    verdicts = _verdicts(done.stdout)
    assert len(verdicts) >= 11 and set(verdicts.values()) == {"KEPT"}


def _write(root: Path, module: str, body: str = "") -> None:
    path = root.joinpath(*module.split(".")).with_suffix(".py")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body, encoding="utf-8")


def test_the_contracts_fail_on_a_deliberate_violation(tmp_path: Path) -> None:
    fake = "fakelaotie"
    config = tmp_path / "contracts.ini"
    config.write_text(
        re.sub(r"\blaotie\b", fake, CONFIG.read_text(encoding="utf-8")), encoding="utf-8"
    )
    _write(tmp_path, f"{fake}.__init__")
    for package in PACKAGES:
        _write(tmp_path, f"{fake}.{package}.__init__")
    _write(tmp_path, f"{fake}.store.repos.__init__")
    _write(tmp_path, f"{fake}.store.repos.catalog")
    _write(tmp_path, f"{fake}.ads.auction")
    _write(tmp_path, f"{fake}.trust._private")
    # one breach per kind: a lower layer importing a higher one, the simulator reading the
    # store, an area reaching into another's submodule, a private module used from outside
    _write(tmp_path, f"{fake}.core.clock", f"import {fake}.feed\n")
    _write(tmp_path, f"{fake}.sim.runner", f"from {fake}.store import repos\n")
    _write(tmp_path, f"{fake}.feed.service", f"from {fake}.ads import auction\n")
    _write(tmp_path, f"{fake}.api.routes", f"from {fake}.trust import _private\n")
    done = _lint(config, cwd=tmp_path, pythonpath=str(tmp_path))
    assert done.returncode != 0
    broken = {name for name, verdict in _verdicts(done.stdout).items() if verdict == "BROKEN"}
    assert broken == {
        "Layers: core<-store<-media<-areas<-wiring<-sim<-engine<-api,web,cli",
        "The simulator uses services, not the store",
        "Other areas use ads only through fakelaotie.ads (its __init__)",
        "A _private module is imported only inside its own package",
    }, done.stdout[-4000:]


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_no_module_imports_another_packages_private_name() -> None:
    src = ROOT / "src"
    found = []
    for path in sorted((src / "laotie").rglob("*.py")):
        own = path.relative_to(src).parts[:2]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not node.module:
                continue
            parts = tuple(node.module.split("."))
            if parts[0] != "laotie" or parts[:2] == own:
                continue
            found += [f"{path}:{node.lineno} {a.name}" for a in node.names if _private(a.name)]
    assert not found, found
