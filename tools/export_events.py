"""Write the JSON Schema of every event to docs/events/; `--check` fails when they are stale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from shared.contracts import registry
from tools.services import ROOT

EVENTS_DIR = ROOT / "docs" / "events"


def rendered() -> dict[str, str]:
    """File name → schema text for every registered event class."""
    out: dict[str, str] = {}
    for cls in registry.classes():
        name = f"{cls.type}.v{cls.version}.schema.json"
        out[name] = json.dumps(registry.json_schema(cls), indent=2, sort_keys=True) + "\n"
    return out


def stale(directory: Path = EVENTS_DIR) -> list[str]:
    """Names of schema files that are missing, different, or no longer have an event class."""
    wanted = rendered()
    problems = [
        n
        for n, text in wanted.items()
        if not (directory / n).is_file() or (directory / n).read_text() != text
    ]
    problems += [p.name for p in directory.glob("*.schema.json") if p.name not in wanted]
    return sorted(problems)


def main(check: bool = typer.Option(False, help="Fail instead of writing.")) -> None:
    """Export (or check) docs/events/*.schema.json."""
    if check:
        problems = stale()
        if problems:
            typer.echo("Event schemas are stale; run `make events`: " + ", ".join(problems))
            sys.exit(1)
        typer.echo(f"event schemas up to date ({len(rendered())})")
        return
    EVENTS_DIR.mkdir(parents=True, exist_ok=True)
    wanted = rendered()
    for path in EVENTS_DIR.glob("*.schema.json"):
        if path.name not in wanted:
            path.unlink()
    for name, text in wanted.items():
        (EVENTS_DIR / name).write_text(text)
    typer.echo(f"wrote {len(wanted)} schemas to {EVENTS_DIR.relative_to(ROOT)}")


if __name__ == "__main__":
    typer.run(main)
