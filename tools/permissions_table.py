"""The role and operation matrix in docs/permissions.md, from the routes and the grant table.

`python -m tools.permissions_table` rewrites it; `--check` fails when it is stale (make lint).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import typer

from services.gateway.identity.roles import ROLE_PERMISSIONS, ROLES
from tools.services import ROOT, SERVICES

DOC = ROOT / "docs" / "permissions.md"
BEGIN, END = "<!-- permissions:begin -->", "<!-- permissions:end -->"
METHODS = ("get", "post", "put", "patch", "delete")


def operations() -> list[tuple[str, str, str, str]]:
    """(service, METHOD, path, permission) of every operation under /v1/ that declares one.

    Where the gateway and services declare the same operation (a customer export, which the
    gateway gathers from each service's part), the public one is the gateway's: listed once.
    """
    found: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for info in SERVICES:
        module, factory = info.factory.split(":")
        schema: dict[str, Any] = getattr(importlib.import_module(module), factory)().openapi()
        for path, operations_of_path in schema["paths"].items():
            if not path.startswith("/v1/") or path.startswith("/v1/webhooks/"):
                continue  # provider webhooks carry no credential: see the text above the table
            for method in METHODS:
                operation = operations_of_path.get(method)
                if operation and ":" in str(operation.get("x-permission", "")):
                    key = (method.upper(), path)
                    if key not in found or info.name == "gateway":
                        found[key] = (info.name, *key, operation["x-permission"])
    return sorted(found.values(), key=lambda o: (o[2], o[1]))


def table() -> str:
    """The Markdown matrix: one row per operation, one column per role."""
    rows = [
        "| operation | permission | " + " | ".join(ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for _, method, path, permission in operations():
        marks = ["yes" if permission in ROLE_PERMISSIONS[role] else "—" for role in ROLES]
        rows.append(f"| `{method} {path}` | `{permission}` | " + " | ".join(marks) + " |")
    return "\n".join(rows)


def rendered(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(check: bool = typer.Option(False, help="Fail instead of writing.")) -> None:
    """Rewrite (or check) the permission matrix in docs/permissions.md."""
    text = DOC.read_text()
    new = rendered(text)
    if check:
        if new != text:
            typer.echo("docs/permissions.md is stale; run `make docs`")
            sys.exit(1)
        typer.echo("permission matrix up to date")
        return
    Path(DOC).write_text(new)
    typer.echo("permission matrix written")


if __name__ == "__main__":
    typer.run(main)
