"""Size limits on the source: no module over 500 lines, no class over 300 lines.

A module or class past the limit is doing several jobs; split it along its seams rather than
raising the limit.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "laotie"
MAX_FILE_LINES = 500
MAX_CLASS_LINES = 300


def modules_over(root: Path, limit: int) -> dict[str, int]:
    """Line counts of the modules under ``root`` longer than ``limit`` lines."""
    counts = {
        path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }
    return {name: n for name, n in counts.items() if n > limit}


def classes_over(root: Path, limit: int) -> dict[str, int]:
    """Line counts of the classes under ``root`` longer than ``limit`` lines."""
    over = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.end_lineno is not None:
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    over[f"{path.relative_to(root).as_posix()}:{node.name}"] = lines
    return over


def test_no_module_is_over_the_line_limit() -> None:
    assert not modules_over(SRC, MAX_FILE_LINES)


def test_no_class_is_over_the_line_limit() -> None:
    assert not classes_over(SRC, MAX_CLASS_LINES)


def test_the_checks_find_a_long_module_and_a_long_class(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "short.py").write_text("class Small:\n    a = 1\n", encoding="utf-8")
    body = "\n".join(f"    a{i} = {i}" for i in range(MAX_CLASS_LINES))
    filler = "\n".join(f"x{i} = {i}" for i in range(MAX_FILE_LINES))
    (tmp_path / "pkg" / "long.py").write_text(f"class Big:\n{body}\n{filler}\n", encoding="utf-8")
    lines = 1 + MAX_CLASS_LINES + MAX_FILE_LINES
    assert modules_over(tmp_path, MAX_FILE_LINES) == {"pkg/long.py": lines}
    assert classes_over(tmp_path, MAX_CLASS_LINES) == {"pkg/long.py:Big": MAX_CLASS_LINES + 1}
