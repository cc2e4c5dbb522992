"""Keep the README's settings table equal to the settings classes; `--check` fails when stale."""

from __future__ import annotations

import sys

import typer
from pydantic_settings import BaseSettings

from services.complaints.settings import ComplaintsSettings
from services.contact.settings import ContactSettings
from services.gateway.settings import GatewaySettings
from services.scoring.settings import ScoringSettings
from shared.settings import ServiceSettings, env_value, env_var
from tools.services import ROOT

README = ROOT / "README.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
CLASSES: list[type[BaseSettings]] = [
    ContactSettings,
    ComplaintsSettings,
    ScoringSettings,
    GatewaySettings,
]


def table() -> str:
    """A Markdown table: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    seen: set[str] = set()
    for cls in CLASSES:
        for name, field in cls.model_fields.items():
            variable = env_var(cls, name)
            if variable in seen:
                continue
            seen.add(variable)
            default = env_value(field.get_default(call_default_factory=True))
            shown = f"`{default}`" if default else "(empty)"
            inherited = ServiceSettings.model_fields.get(name)
            description = field.description or (inherited.description if inherited else None)
            meaning = (description or "").replace("|", "\\|")
            rows.append(f"| `{variable}` | {shown} | {meaning} |")
    return "\n".join(rows)


def rendered(text: str) -> str:
    """`text` with the table between the markers replaced."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{table()}\n{END}{tail}"


def main(check: bool = typer.Option(False, help="Fail instead of writing.")) -> None:
    """Rewrite (or check) the settings table in README.md."""
    text = README.read_text()
    if BEGIN not in text or END not in text:
        typer.echo("README.md has no settings markers")
        sys.exit(1)
    new = rendered(text)
    if check:
        if new != text:
            typer.echo("README settings table is stale; run `make docs`")
            sys.exit(1)
        typer.echo("README settings table up to date")
        return
    README.write_text(new)
    typer.echo("README settings table written")


if __name__ == "__main__":
    typer.run(main)
