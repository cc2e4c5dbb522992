"""`python -m tools.keys`: issue, list, rotate and revoke the gateway's API keys.

Works on the gateway's database (`GATEWAY_DATABASE_URL`), so the first key can be issued
before anyone can call the admin API; afterwards `/v1/api-keys` does the same over HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from services.gateway.keys import service
from services.gateway.settings import GatewaySettings
from shared.db import Database

app = typer.Typer(add_completion=False, help="API keys of services and phone systems.")
console = Console()
T = TypeVar("T")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def run() -> T:
        db = Database(GatewaySettings().database_url)
        try:
            async with db.sessionmaker() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await db.dispose()

    return asyncio.run(run())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _show_secret(issued: service.IssuedKey) -> None:
    console.print(f"id:    {issued.key.id}\nroles: {', '.join(issued.key.roles)}")
    console.print(f"key:   [bold]{issued.secret}[/bold]")
    console.print("Store the key now: it is not shown again.")


@app.command()
def create(
    name: str = typer.Option(..., help="Who uses it, e.g. twilio-prod."),
    role: list[str] = typer.Option(..., help="A role it grants (service, cti, admin, …)."),
    expires_in_days: int | None = typer.Option(None, help="Days until it stops working."),
) -> None:
    """Issue a key; its secret is printed once."""
    expires = _now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    issued = _in_session(
        lambda s: service.issue_key(s, name=name, roles=role, expires_at=expires, now=_now())
    )
    _show_secret(issued)


@app.command("list")
def list_keys() -> None:
    """Every key, newest first, without secrets."""
    table = Table("id", "name", "roles", "created", "expires", "last used", "revoked")
    for key in _in_session(service.list_keys):
        table.add_row(
            str(key.id),
            key.name,
            ",".join(key.roles),
            *(f"{t:%Y-%m-%d %H:%M}" if t else "" for t in (key.created_at, key.expires_at)),
            *(f"{t:%Y-%m-%d %H:%M}" if t else "" for t in (key.last_used_at, key.revoked_at)),
        )
    console.print(table)


@app.command()
def rotate(
    key_id: uuid.UUID,
    grace_seconds: int = typer.Option(0, help="How long the old key keeps working."),
) -> None:
    """Replace a key with a new secret."""
    grace = dt.timedelta(seconds=grace_seconds)
    _show_secret(_in_session(lambda s: service.rotate_key(s, key_id, grace=grace, now=_now())))


@app.command()
def revoke(key_id: uuid.UUID) -> None:
    """Stop a key working at once."""
    _in_session(lambda s: service.revoke_key(s, key_id, now=_now()))
    console.print(f"revoked {key_id}")


if __name__ == "__main__":
    app()
