"""`make run`: the broker and the four services on this machine, with embedded defaults."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console
from rich.table import Table

from shared.contracts import ALL_TOPICS
from shared.kafka import ensure_topics
from tools.services import ROOT, SERVICES
from tools.stack import Broker
from tools.supervise import Supervisor
from tools.system import System

console = Console()


def _kept_secret(data_dir: Path, filename: str, variable: str) -> str:
    """The secret from the environment, else the one kept in `data_dir`, else a new one kept."""
    given = os.environ.get(variable, "").split(",")[0].strip()
    if given:
        return given
    path = data_dir / filename
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(32)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def _sign_in_help(gateway: str) -> str:
    return (
        "Sign in (development issuer; users agent, agent2, agent3, agent4, supervisor, admin):\n"
        f"TOKEN=$(curl -s -X POST {gateway}/dev-issuer/token -H 'Content-Type: application/json' "
        '-d \'{"username": "supervisor"}\' \\\n'
        "  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\n"
        f'curl -s {gateway}/v1/me -H "Authorization: Bearer $TOKEN"'
    )


def _slice_curl(key: str, gateway: str) -> str:
    body = (
        '{"provider":"asterisk","call_id":"demo-1","sequence_number":0,"status":"ringing",'
        '"from":"+1 415 555 0100","to":"+1 415 555 0199","timestamp":"2026-11-22T09:30:00Z"}'
    )
    return (
        f"CUSTOMER=$(curl -s -X POST {gateway}/v1/contacts/events \\\n"
        f"  -H 'X-API-Key: {key}' -H 'Content-Type: application/json' \\\n"
        f"  -d '{body}' \\\n"
        "  | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"customer_id\"])')\n"
        f"curl -s {gateway}/v1/customers/$CUSTOMER/score -H 'X-API-Key: {key}'"
    )


def _embedded_env(data_dir: Path, internal_secret: str, twilio_token: str) -> dict[str, str]:
    """What the services get beyond their defaults when `make run` starts them."""
    return {
        "SCORING_KAFKA_SESSION_TIMEOUT_MS": "6000",
        "RAPPORT_INTERNAL_TOKEN_SECRET": internal_secret,
        "GATEWAY_DEV_ISSUER_ENABLED": "true",
        "GATEWAY_DEV_ISSUER_KEY_FILE": str((data_dir / "dev-issuer-key.pem").resolve()),
        # Twilio signs the URL it calls: in the embedded default that is the gateway.
        "CONTACT_TWILIO_AUTH_TOKENS": twilio_token,
        "CONTACT_PUBLIC_BASE_URL": "http://127.0.0.1:8000",
    }


def main(
    data_dir: Path = typer.Option(ROOT / "var", help="Where the SQLite files and logs live."),
    broker_port: int = typer.Option(9092, help="Port of the local Kafka-protocol broker."),
) -> None:
    """Start broker + gateway, contact, complaints and scoring; Ctrl-C stops them all.

    A service or the broker that dies is restarted (and the console says so); nothing else stops.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    log_dir = data_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    key = _kept_secret(data_dir, "api-key", "GATEWAY_API_KEYS")
    internal_secret = _kept_secret(
        data_dir, "internal-token-secret", "RAPPORT_INTERNAL_TOKEN_SECRET"
    )
    twilio_token = _kept_secret(data_dir, "twilio-auth-token", "CONTACT_TWILIO_AUTH_TOKENS")
    broker = Broker(broker_port, log_path=log_dir / "broker.log")
    system = System(
        bootstrap=broker.bootstrap,
        database_urls={s.name: s.sqlite_url(data_dir.resolve()) for s in SERVICES},
        api_key=key,
        log_dir=log_dir,
        extra_env=_embedded_env(data_dir, internal_secret, twilio_token),
    )
    stopping = _stop_on_signals()
    code = 0
    try:
        with console.status("starting the broker"):
            broker.start()
            asyncio.run(ensure_topics(broker.bootstrap, ALL_TOPICS, partitions=3))
        with console.status("starting the services (migrations run at start)"):
            system.start()
        _print_ready(system, broker, key, log_dir)
        supervisor = Supervisor(
            system, broker, ALL_TOPICS, say=lambda text: console.print(f"[yellow]{text}[/yellow]")
        )
        while not stopping.is_set():
            _restart_what_died(supervisor)
            stopping.wait(0.5)
    except Exception as exc:
        console.print(f"[red]could not start Rapport: {exc}[/red]")
        code = 1
    finally:
        with console.status("stopping"):
            system.stop()
            broker.stop()
        console.print("stopped: broker and services")
    sys.exit(code)


def _stop_on_signals() -> threading.Event:
    """An event set by Ctrl-C or SIGTERM."""
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stopping


def _restart_what_died(supervisor: Supervisor) -> None:
    try:
        supervisor.check()
    except Exception as exc:
        console.print(f"[red]could not restart: {exc}; trying again[/red]")


def _print_ready(system: System, broker: Broker, key: str, log_dir: Path) -> None:
    table = Table(title="Rapport is running", show_lines=False)
    table.add_column("service")
    table.add_column("URL")
    table.add_column("API docs")
    for svc in sorted(system.processes, key=lambda s: s.port):
        table.add_row(svc.info.name, svc.url, f"{svc.url}/docs")
    table.add_row("broker", f"kafka://{broker.bootstrap}", "")
    console.print(table)
    console.print(
        f"Bootstrap API key (X-API-Key; roles admin, service): [bold]{key}[/bold]   logs: {log_dir}"
    )
    gateway = next(s.url for s in system.processes if s.info.name == "gateway")
    console.print(
        f"\nAgent desktop:   [bold]{gateway}/desktop[/bold]  (sign in as agent)\n"
        f"Supervisor wall: [bold]{gateway}/wall[/bold]  (sign in as supervisor)\n"
        "A simulated call-center day to watch on them: [bold]make demo[/bold] in another terminal"
    )
    console.print()
    console.print(_sign_in_help(gateway), markup=False, highlight=False, soft_wrap=True)
    console.print("\nTry the call-event slice through the gateway:\n")
    console.print(_slice_curl(key, gateway), markup=False, highlight=False, soft_wrap=True)
    console.print(
        "\nA service or the broker that stops is restarted and nothing is lost. "
        "Ctrl-C stops everything."
    )


if __name__ == "__main__":
    typer.run(main)
