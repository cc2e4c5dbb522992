"""`python -m tools.migrate upgrade [SERVICE…]` applies migrations; `revision` writes one."""

from __future__ import annotations

import os

import typer
from alembic import command

from shared.migrations import alembic_config
from tools.services import BY_NAME, SERVICES

app = typer.Typer(add_completion=False, help="Alembic migrations, one database per service.")


def _database_url(service: str) -> str:
    from importlib import import_module

    module = import_module(f"services.{service}.settings")
    settings_cls = next(
        v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings"
    )
    url: str = settings_cls().database_url
    return url


@app.command()
def upgrade(services: list[str] = typer.Argument(None, help="Services; all when omitted.")) -> None:
    """Apply every pending migration to each service's own database."""
    for name in services or [s.name for s in SERVICES]:
        info = BY_NAME.get(name)
        if info is None:
            raise typer.BadParameter(f"unknown service {name!r}")
        url = _database_url(name)
        command.upgrade(alembic_config(info.migrations_dir, url), "head")
        typer.echo(f"{name}: at head")


@app.command()
def revision(
    service: str,
    message: str = typer.Option(..., "-m", "--message"),
    autogenerate: bool = typer.Option(True),
) -> None:
    """Write a new migration for SERVICE from the difference between its models and database."""
    info = BY_NAME[service]
    url = os.environ.get(f"{info.env_prefix}DATABASE_URL") or _database_url(service)
    cfg = alembic_config(info.migrations_dir, url)
    command.upgrade(cfg, "head")
    command.revision(cfg, message=message, autogenerate=autogenerate)


if __name__ == "__main__":
    app()
