"""Hold every Python file to one job: at most 400 lines a file and 60 lines a function.

`python -m tools.code_size` lists what is over and exits 1; migrations are generated and exempt.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

from tools.services import ROOT

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
TREES = ("shared", "services", "tools", "bench", "tests")


def python_files(root: Path = ROOT) -> Iterator[Path]:
    """The project's Python files, migrations left out."""
    for tree in TREES:
        for path in sorted((root / tree).rglob("*.py")):
            if "migrations" not in path.relative_to(root).parts:
                yield path


def oversized(path: Path, root: Path = ROOT) -> Iterator[str]:
    """One line per limit that `path` exceeds."""
    source = path.read_text(encoding="utf-8")
    name = path.relative_to(root)
    lines = len(source.splitlines())
    if lines > MAX_FILE_LINES:
        yield f"{name}: {lines} lines (at most {MAX_FILE_LINES})"
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield (
                    f"{name}:{node.lineno}: {node.name}() is {length} lines "
                    f"(at most {MAX_FUNCTION_LINES})"
                )


def main(root: Path = ROOT) -> int:
    problems = [line for path in python_files(root) for line in oversized(path, root)]
    for line in problems:
        print(line)
    print(f"code size: {len(problems)} over the limits", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
