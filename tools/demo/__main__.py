"""`python -m tools.demo`: drive the running system (`make run`) through a simulated day.

Open the supervisor wall (`/wall`, user `supervisor`) and the agent desktop (`/desktop`, user
`agent`) first: the demo plays the other agents, the callers and an internal order service,
and the queues, scores and SLAs move on the wall as it goes.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from tools.demo.day import Day, progress_of
from tools.demo.world import DemoError, build

ROOT = Path(__file__).resolve().parents[2]
console = Console()


def _secret(data_dir: Path, name: str) -> str:
    path = data_dir / name
    if not path.exists():
        raise typer.BadParameter(f"{path} is missing: start Rapport with `make run` first")
    return path.read_text().strip()


def main(
    gateway: str = typer.Option("http://127.0.0.1:8000", help="The running gateway."),
    data_dir: Path = typer.Option(ROOT / "var", help="`make run`'s data folder (keys)."),
    speed: float = typer.Option(30.0, min=1, help="Simulated seconds per real second."),
    hours: float = typer.Option(8.0, min=0.1, help="Length of the simulated day."),
    calls_per_hour: float = typer.Option(40.0, min=1, help="Average arrival rate."),
    customers: int = typer.Option(200, min=10, help="Customers in the population."),
    seed: int = typer.Option(7, help="Random seed: the same seed plays the same day."),
) -> None:
    """Simulate a call-center day against the running Rapport."""
    key = _secret(data_dir, "api-key")
    twilio_token = _secret(data_dir, "twilio-auth-token")
    try:
        asyncio.run(
            _play(gateway, key, twilio_token, speed, hours, calls_per_hour, customers, seed)
        )
    except (DemoError, httpx.HTTPError) as error:
        console.print(f"[red]the demo stopped: {error}[/red]")
        raise typer.Exit(1) from error


async def _play(
    gateway: str,
    key: str,
    twilio_token: str,
    speed: float,
    hours: float,
    calls_per_hour: float,
    customers: int,
    seed: int,
) -> None:
    rng = random.Random(seed)
    admin = httpx.AsyncClient(base_url=gateway, headers={"X-API-Key": key}, timeout=30)
    public = httpx.AsyncClient(base_url=gateway, timeout=30)
    async with admin, public:
        with console.status(f"setting up {customers} customers, their orders and the model"):
            world = await build(admin, rng, customers)
        day = Day(admin, public, world, rng, twilio_token, gateway, speed, hours, calls_per_hour)
        columns = (TextColumn("simulated day"), BarColumn(), TextColumn("{task.description}"))
        with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
            bar = progress.add_task("", total=hours * 3600)

            def show(elapsed: float, line: str) -> None:
                progress.update(bar, completed=elapsed, description=line)

            shown = asyncio.create_task(progress_of(day, show))
            try:
                await day.run()
            finally:
                shown.cancel()
                show(hours * 3600, day.figures.line())
    console.print(f"day over: {day.figures.line()}")


if __name__ == "__main__":
    typer.run(main)
