"""Contact: sustained Twilio status-callback ingestion through the gateway (signature check,
dedup, persist; the settle job stages the call's events for the outbox a moment later) next to
a bare FastAPI echo endpoint served the same way, same run."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx
from fastapi import FastAPI, Request, Response
from twilio.request_validator import RequestValidator

from bench.report import figure
from tools.services import ROOT, SERVICES
from tools.stack import Broker, Postgres, free_port, stop_process, wait_for_port
from tools.system import System

CALLS = 600
EVENTS_PER_CALL = 4
DUPLICATE_EVERY = 10  # every tenth delivery is a retry of an earlier one
CONCURRENCY = 16
TOKEN = "bench-twilio-token"
PATH = "/v1/webhooks/twilio/status"
STATUSES = ("initiated", "ringing", "in-progress", "completed")


def echo_app() -> FastAPI:
    """The baseline: a FastAPI endpoint that reads the form body and answers 204."""
    app = FastAPI()

    @app.post(PATH)
    async def echo(request: Request) -> Response:
        await request.body()
        return Response(status_code=204)

    return app


def _pairs(call_sid: str, callee: int, sequence: int, at: dt.datetime) -> list[tuple[str, str]]:
    status = STATUSES[sequence]
    pairs = [
        ("AccountSid", "AC" + "0" * 32),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", call_sid),
        ("CallStatus", status),
        ("CallbackSource", "call-progress-events"),
        ("Direction", "outbound-api"),
        ("From", "+14155550199"),
        ("SequenceNumber", str(sequence)),
        ("Timestamp", email.utils.format_datetime(at + dt.timedelta(seconds=sequence))),
        ("To", f"+1415555{callee:04d}"),
        ("ToCity", ""),
        ("ToState", ""),
        ("ToZip", ""),
    ]
    if status == "completed":
        pairs.append(("CallDuration", "42"))
    return pairs


def deliveries(public_base: str) -> list[tuple[bytes, str]]:
    """Signed form bodies: every event of every call, with some delivered twice."""
    validator = RequestValidator(TOKEN)
    now = dt.datetime.now(dt.UTC)
    out: list[tuple[bytes, str]] = []
    for index in range(CALLS):
        call_sid = "CA" + uuid.uuid4().hex
        # Every fifth callee is called again: known customers next to new prospects.
        callee = index % (CALLS // 5 * 4)
        for sequence in range(EVENTS_PER_CALL):
            pairs = _pairs(call_sid, callee, sequence, now)
            signature = validator.compute_signature(public_base + PATH, dict(pairs))
            out.append((urlencode(pairs).encode(), signature))
            if len(out) % DUPLICATE_EVERY == 0:
                out.append(out[-2])
    return out


async def _drive(base_url: str, bodies: list[tuple[bytes, str]]) -> dict[str, Any]:
    queue: asyncio.Queue[tuple[bytes, str]] = asyncio.Queue()
    for item in bodies:
        queue.put_nowait(item)
    statuses: dict[int, int] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body, signature = queue.get_nowait()
            response = await client.post(
                PATH,
                content=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": signature,
                },
            )
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return {
        "requests": len(bodies),
        "seconds": round(seconds, 3),
        "requests_per_second": round(len(bodies) / seconds, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def _serve_echo(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    # Same server and flags as tools.system uses for the services.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "bench.bench_ingest:echo_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        stdout=open(log_path, "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    wait_for_port(port, timeout=30, process=process)
    return process


async def _create_databases(server: str, names: list[str]) -> None:
    conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        for name in names:
            await conn.execute(f"CREATE DATABASE {name}")
    finally:
        await conn.close()


def _database_urls(backend: str, data: Path, postgres: Postgres | None) -> dict[str, str]:
    if backend == "sqlite" or postgres is None:
        return {s.name: s.sqlite_url(data) for s in SERVICES}
    suffix = uuid.uuid4().hex[:6]
    names = {s.name: f"bench_{s.name}_{suffix}" for s in SERVICES}
    asyncio.run(_create_databases(postgres.url(), list(names.values())))
    return {name: postgres.url(db) for name, db in names.items()}


def measure(backend: str, data: Path, broker: Broker, postgres: Postgres | None) -> dict[str, Any]:
    """Ingest through the gateway and the echo baseline, back to back, on one backend."""
    ports = {s.name: free_port() for s in SERVICES}
    gateway = f"http://127.0.0.1:{ports['gateway']}"
    system = System(
        bootstrap=broker.bootstrap,
        database_urls=_database_urls(backend, data / backend, postgres),
        api_key="bench-" + uuid.uuid4().hex,
        log_dir=data / backend / "logs",
        ports=ports,
        topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
        extra_env={
            "CONTACT_TWILIO_AUTH_TOKENS": TOKEN,
            "CONTACT_PUBLIC_BASE_URL": gateway,
            "CONTACT_LOG_LEVEL": "WARNING",
            "GATEWAY_LOG_LEVEL": "WARNING",
        },
    )
    echo_port = free_port()
    echo = None
    try:
        system.start()
        echo = _serve_echo(echo_port, data / f"echo-{backend}.log")
        warm = deliveries(gateway)[:200]
        asyncio.run(_drive(gateway, warm))  # warm-up: connections, caches
        asyncio.run(_drive(f"http://127.0.0.1:{echo_port}", warm))
        fresh = deliveries(gateway)
        # The echo first, while the services are idle; after the ingest run they are still
        # relaying and scoring the backlog, which would slow the baseline down.
        baseline = asyncio.run(_drive(f"http://127.0.0.1:{echo_port}", fresh))
        ingest = asyncio.run(_drive(gateway, fresh))
    finally:
        if echo is not None:
            stop_process(echo)
        system.stop()
    return {
        "twilio_status_ingest": ingest,
        "fastapi_echo": baseline,
        "ratio_ingest_to_echo": round(
            ingest["requests_per_second"] / baseline["requests_per_second"], 3
        ),
    }


def run() -> dict[str, Any]:
    """Both throughputs and their ratio, on SQLite and on PostgreSQL."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        broker = Broker(free_port(), log_path=data / "broker.log").start()
        postgres = Postgres(free_port()).start()
        try:
            results = {b: measure(b, data, broker, postgres) for b in ("sqlite", "postgresql")}
        finally:
            postgres.stop()
            broker.stop()
    figures = [
        figure(
            f"Twilio status callbacks via gateway ({backend})",
            results[backend]["twilio_status_ingest"]["requests_per_second"],
            "req/s",
            "FastAPI endpoint reading the body",
            results[backend]["fastapi_echo"]["requests_per_second"],
            higher=True,
        )
        for backend in ("sqlite", "postgresql")
    ]
    return {
        "figures": figures,
        "setup": {
            "calls": CALLS,
            "events_per_call": EVENTS_PER_CALL,
            "duplicates": "every tenth delivery repeats the previous one",
            "concurrency": CONCURRENCY,
            "path": "client -> gateway -> contact (signature, dedup, persist, outbox)",
            "baseline": "FastAPI endpoint reading the body, one uvicorn process, same flags",
        },
        **results,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
