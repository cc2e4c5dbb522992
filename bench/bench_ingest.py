"""Contact: signed Twilio status callbacks driven by wrk (one thread, 16 connections), through
the gateway and straight to contact, on SQLite and PostgreSQL (signature check, dedup, one
stored event each; the settle job stages the call's events for the outbox a moment later),
next to a bare FastAPI endpoint reading the body, served and driven the same way, same run.
Then again at about half the rate reached, for the latency. Any answer other than 2xx fails
the run, and every callback sent must be stored once."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench import ingest_statements, profiles
from bench.bench_gateway import LIMIT
from bench.echo import serve_echo
from bench.report import figure
from bench.wrk import CONNECTIONS, PATH, SECONDS, TOKEN, costed, webhook_script, wrk
from shared.contracts.permissions import PERMISSIONS
from shared.db import create_engine
from shared.identity import Identity, mint_identity_token
from tools.services import SERVICES
from tools.stack import Broker, Postgres, free_port, stop_process, wait_for_port
from tools.system import System

# Enough distinct calls that a 10-second run at 800 callbacks/s does not cycle the script.
CALLS = 2200
SETTLE_SECONDS = 3.0


def _serve_echo(port: int, log_path: Path) -> subprocess.Popen[bytes]:
    process = serve_echo(port, log_path)
    wait_for_port(port, timeout=30, process=process)
    return process


async def _create_databases(server: str, names: list[str]) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for name in names:
                await conn.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await engine.dispose()


def _database_urls(backend: str, data: Path, postgres: Postgres | None) -> dict[str, str]:
    if backend == "sqlite" or postgres is None:
        return {s.name: s.sqlite_url(data) for s in SERVICES}
    suffix = uuid.uuid4().hex[:6]
    names = {s.name: f"bench_{s.name}_{suffix}" for s in SERVICES}
    asyncio.run(_create_databases(postgres.url(), list(names.values())))
    return {name: postgres.url(db) for name, db in names.items()}


async def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


class Ledger:
    """What was sent, against what contact stored: each distinct callback once."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.expected = asyncio.run(_count(url, "call_log_entry"))

    def check(self, items: list[tuple[bytes, str]], run: dict[str, Any], name: str) -> None:
        """Fail on any answer other than 2xx, or on a callback missing or stored twice."""
        if run["non_2xx"] or run["socket_errors"]:
            raise RuntimeError(f"{name}: {run['non_2xx']} non-2xx {run['socket_errors']}")
        sent = run.get("sent", run["requests"])
        cycled = [items[i % len(items)][0] for i in range(sent)]
        distinct = len(set(cycled))
        # A request wrk wrote just before it stopped may be stored without its answer counted.
        least = len(set(cycled[: run["requests"]]))
        # Requests still in flight when wrk stopped are stored after it: wait until none come.
        deadline = time.monotonic() + 30
        stored = -1
        while time.monotonic() < deadline:
            time.sleep(1.0)
            now = asyncio.run(_count(self.url, "call_log_entry")) - self.expected
            if now == stored:
                break
            stored = now
        run["stored"] = {"distinct_sent": distinct, "distinct_answered": least, "stored": stored}
        print(name, {k: v for k, v in run.items() if k != "profile"}, flush=True)
        if not least <= stored <= distinct:
            raise RuntimeError(f"{name}: {stored} stored, {least}-{distinct} distinct sent")
        self.expected += stored


def _half_rate(url: str, script: Any, rate: float, ledger: Ledger) -> dict[str, Any]:
    """About half `rate`: each connection waits after an answer, so that with the answer's
    own time it sends at 1/CONNECTIONS of half the rate (one calibration run first)."""
    cycle_ms = 1000.0 * CONNECTIONS / (rate / 2)
    path, items = script(cycle_ms)
    probe = wrk(url, script=path, seconds=5)
    ledger.check(items, probe, "half-rate calibration")
    delay = max(1.0, cycle_ms - probe.get("p50_ms", 0.0))
    path, items = script(delay)
    run = wrk(url, script=path)
    ledger.check(items, run, "half rate")
    run["delay_ms"] = round(delay, 1)
    run["target_requests_per_second"] = round(rate / 2, 1)
    return run


def _system(backend: str, data: Path, broker: Broker, postgres: Postgres | None) -> System:
    ports = {s.name: free_port() for s in SERVICES}
    return System(
        bootstrap=broker.bootstrap,
        database_urls=_database_urls(backend, data / backend, postgres),
        api_key="bench-" + uuid.uuid4().hex,
        log_dir=data / backend / "logs",
        ports=ports,
        topic_prefix=f"bench{uuid.uuid4().hex[:6]}.",
        extra_env={
            "CONTACT_TWILIO_AUTH_TOKENS": TOKEN,
            "CONTACT_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['gateway']}",
            "GATEWAY_RATE_LIMIT_PER_IP": LIMIT,
            "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": LIMIT,
            **{f"{s.env_prefix}LOG_LEVEL": "WARNING" for s in SERVICES},
        },
    )


def measure(backend: str, data: Path, broker: Broker, postgres: Postgres | None) -> dict[str, Any]:
    """The echo, straight to contact and through the gateway, then the gateway and the echo
    at about half the rate reached; a profile of contact and the gateway on a run of its own."""
    system = _system(backend, data, broker, postgres)
    caller = Identity(
        subject="bench", kind="api-key", roles=["admin"], permissions=sorted(PERMISSIONS)
    )
    echo_port = free_port()
    echo = None
    runs: dict[str, Any] = {}
    try:
        system.start()
        by_name = {p.info.name: p for p in system.processes}
        gateway, contact = by_name["gateway"].url, by_name["contact"].url
        pids = {n: by_name[n].process.pid for n in ("gateway", "contact")}
        ledger = Ledger(system.database_urls["contact"])
        echo = _serve_echo(echo_port, data / f"echo-{backend}.log")
        echo_url = f"http://127.0.0.1:{echo_port}{PATH}"
        serial = iter(range(1000))

        def script(identity: str | None = None, delay_ms: float = 0.0) -> Any:
            name = data / f"{backend}-{next(serial)}.lua"
            return webhook_script(name, gateway, identity, calls=CALLS, delay_ms=delay_ms)

        warm, items = script()
        ledger.check(items, wrk(gateway + PATH, script=warm, seconds=3), "warm-up")
        wrk(echo_url, script=warm, seconds=3)
        # The echo first, while the services are idle.
        runs["fastapi_echo"] = wrk(echo_url, script=script()[0])
        direct, items = script(_mint(system, caller))
        runs["direct_to_contact"] = costed(contact + PATH, {}, {"contact": pids["contact"]}, direct)
        ledger.check(items, runs["direct_to_contact"], "direct")
        through, items = script()
        runs["via_gateway"] = costed(gateway + PATH, {}, pids, through)
        ledger.check(items, runs["via_gateway"], "via gateway")
        rate = runs["via_gateway"]["requests_per_second"]
        time.sleep(SETTLE_SECONDS)  # the settle job stages the run's events meanwhile
        runs["via_gateway_half_rate"] = _half_rate(
            gateway + PATH, lambda delay: script(None, delay), rate, ledger
        )
        runs["fastapi_echo_half_rate"] = wrk(
            echo_url, script=script(None, runs["via_gateway_half_rate"]["delay_ms"])[0]
        )
        with profiles.sampling(data, pids, SECONDS - 2) as sampled:
            wrk(gateway + PATH, script=script()[0])
        runs["profile"] = sampled.summary
    finally:
        if echo is not None:
            stop_process(echo)
        system.stop()
    return runs


def _mint(system: System, caller: Identity) -> str:
    """The identity header the gateway would add for contact (valid one minute)."""
    return mint_identity_token(caller, secret=system.internal_token_secret, audience="contact")


def run() -> dict[str, Any]:
    """Throughput through the gateway and straight to contact, and p99 at half the rate, on
    SQLite and PostgreSQL, each next to the bare endpoint; statements per callback."""
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        broker = Broker(free_port(), log_path=data / "broker.log").start()
        postgres = Postgres(free_port()).start()
        try:
            results = {b: measure(b, data, broker, postgres) for b in ("sqlite", "postgresql")}
            statements = ingest_statements.measure(data, broker.bootstrap, postgres)
        finally:
            postgres.stop()
            broker.stop()
    return {
        "figures": [f for backend in ("sqlite", "postgresql") for f in figures(backend, results)],
        "setup": {
            "calls": CALLS,
            "duplicates": "every tenth delivery repeats the previous one",
            "wrk": f"1 thread, {CONNECTIONS} connections, {SECONDS} s, Lua script of "
            "pre-signed callbacks",
            "half rate": "each connection waits after an answer so the offered rate is about "
            "half the rate reached through the gateway",
            "baseline": "FastAPI endpoint reading the body, one uvicorn process, same flags",
        },
        "statements_per_callback": statements,
        **results,
    }


def figures(backend: str, results: dict[str, Any]) -> list[dict[str, Any]]:
    """One backend's rows: each figure next to the bare endpoint measured the same way."""
    runs = results[backend]
    echo = runs["fastapi_echo"]["requests_per_second"]
    return [
        figure(
            f"Twilio status callbacks via gateway ({backend})",
            runs["via_gateway"]["requests_per_second"],
            "req/s",
            "FastAPI endpoint reading the body",
            echo,
            higher=True,
        ),
        figure(
            f"Twilio status callbacks straight to contact ({backend})",
            runs["direct_to_contact"]["requests_per_second"],
            "req/s",
            "FastAPI endpoint reading the body",
            echo,
            higher=True,
        ),
        figure(
            f"callbacks via gateway at half that rate, p99 ({backend})",
            runs["via_gateway_half_rate"].get("p99_ms", 0.0),
            "ms",
            "FastAPI endpoint at the same pacing, p99",
            runs["fastapi_echo_half_rate"].get("p99_ms", 0.0),
            higher=False,
        ),
    ]


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
