"""`make lint` fails on a violation of each rule it enforces: layers, strict types, code size."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.code_size import MAX_FILE_LINES, MAX_FUNCTION_LINES, oversized
from tools.services import ROOT

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and the lint configuration, to break on purpose."""
    root = tmp_path_factory.mktemp("lint")
    ignore = shutil.ignore_patterns("__pycache__", "migrations")
    for package in ("shared", "services"):
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": str(BIN)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contracts_hold_on_the_tree_as_it_is(tree: Path) -> None:
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("services/complaints/peek.py", "import services.contact", "never import each other"),
        ("shared/peek.py", "import services.scoring", "shared imports no service"),
        ("services/gateway/proxy/routes.py", "import sqlalchemy", "Routes hold no SQL"),
        ("services/gateway/probe/repository.py", "import fastapi", "know nothing of HTTP"),
    ],
)
def test_each_layer_contract_fails_on_a_violation(
    tree: Path, tmp_path: Path, module: str, line: str, contract: str
) -> None:
    broken = tmp_path / "tree"
    shutil.copytree(tree, broken)
    target = broken / module
    target.parent.mkdir(parents=True, exist_ok=True)
    (target.parent / "__init__.py").touch()
    target.write_text(target.read_text() + f"\n{line}\n" if target.exists() else f"{line}\n")

    result = lint_imports(broken)

    assert result.returncode != 0
    assert contract in result.stdout
    assert "BROKEN" in result.stdout


def test_mypy_is_strict_on_the_tests_too(tmp_path: Path) -> None:
    sample = tmp_path / "test_untyped.py"
    sample.write_text("def test_something(fixture):\n    return fixture\n")

    result = subprocess.run(
        [str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), str(sample)],
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 1
    assert "missing a type annotation" in result.stdout


def test_code_size_names_a_long_file_and_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    filler = "\n" * (MAX_FILE_LINES - MAX_FUNCTION_LINES)
    sample = tmp_path / "big.py"
    sample.write_text(f"def long_one() -> None:\n{body}\n{filler}")

    problems = list(oversized(sample, tmp_path))

    assert problems == [
        f"big.py: {MAX_FILE_LINES + 1} lines (at most {MAX_FILE_LINES})",
        f"big.py:1: long_one() is {MAX_FUNCTION_LINES + 1} lines (at most {MAX_FUNCTION_LINES})",
    ]
