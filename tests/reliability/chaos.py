"""Crashes and outages: the workload under SIGKILLs and broker restarts, against a clean run.

`python -m tests.reliability.chaos` (`make chaos`) is the long form, on SQLite and PostgreSQL,
writing its figures to `bench/results/chaos.json`; `test_crashes.py` runs the short form.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import re
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from shared.contracts import ALL_TOPICS
from shared.db import Database, OutboxMessage, ProcessedEvent
from shared.kafka import ensure_topics
from tests.contact.conftest import PUBLIC_BASE, TWILIO_TOKEN
from tests.reliability.state import Difference, Table, compare, read_state, rows
from tests.reliability.workload import Workload
from tools.services import SERVICES
from tools.stack import Broker, free_port
from tools.supervise import Supervisor
from tools.system import System

API_KEY = "chaos-" + "k" * 32
TARGETS = ("contact", "complaints", "scoring", "gateway", "broker")
CONSUMING = ("contact", "complaints", "scoring")  # the services whose consumers fill tables
ENV = {
    "CONTACT_PUBLIC_BASE_URL": PUBLIC_BASE,
    "CONTACT_TWILIO_AUTH_TOKENS": TWILIO_TOKEN,
    "CONTACT_TWILIO_MAX_EVENT_AGE_SECONDS": "86400",
    "CONTACT_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "COMPLAINTS_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000",
    "CONTACT_RELAY_MAX_BACKOFF_SECONDS": "0.5",
    "COMPLAINTS_RELAY_MAX_BACKOFF_SECONDS": "0.5",
    "SCORING_RELAY_MAX_BACKOFF_SECONDS": "0.5",
    # The agents' desktops sign in with the development issuer's tokens, as with `make run`.
    "GATEWAY_DEV_ISSUER_ENABLED": "true",
    # Routing: the desktops answer every offer, so none may time out because the contact
    # service was restarting when the answer came (the timeout would measure the restart, not
    # the workload); wrap-up is short, so the agents are free again before the system settles.
    "CONTACT_ROUTING_OFFER_TIMEOUT_SECONDS": "300",
    "CONTACT_ROUTING_WRAP_UP_SECONDS": "0.2",
}


@dataclass
class Run:
    """What one run did and the state it ended in."""

    faults: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    restarts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    events: int = 0  # published (outbox rows)
    applied: int = 0  # consumed and applied (processed-event rows)
    state: dict[str, dict[str, Table]] = field(default_factory=dict)


@dataclass
class Figures:
    """The comparison of a run with faults against the clean run of the same workload."""

    backend: str
    callers: int
    faults: dict[str, int]
    requests: int
    events_published: int
    events_applied: int
    rows_checked: int
    lost: int
    doubled: int
    seconds: float
    phases: dict[str, dict[str, float]]
    differences: list[dict[str, Any]]


async def run(
    workload: Workload,
    *,
    database_urls: dict[str, str],
    workdir: Path,
    faults: int,
    seed: int,
) -> Run:
    """Start broker and services, send the workload while killing `faults` times, settle, read."""
    result = Run()
    started = time.monotonic()
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    broker = Broker(free_port(), log_path=workdir / "broker.log")
    await asyncio.to_thread(broker.start)
    system = System(
        bootstrap=broker.bootstrap,
        database_urls=database_urls,
        api_key=API_KEY,
        log_dir=workdir / "logs",
        ports={s.name: free_port() for s in SERVICES},
        # One signing key across the gateway's restarts, as `make run` keeps it: tokens stay good.
        extra_env={**ENV, "GATEWAY_DEV_ISSUER_KEY_FILE": str(workdir / "dev-issuer-key.pem")},
    )
    try:
        await ensure_topics(broker.bootstrap, ALL_TOPICS, partitions=3)
        await asyncio.to_thread(system.start)
        result.phases["started"] = time.monotonic() - started
        supervisor = Supervisor(system, broker, ALL_TOPICS, say=result.restarts.append)
        with _supervising(supervisor):
            gateway = next(p.url for p in system.processes if p.info.name == "gateway")
            sending = asyncio.create_task(workload.send(gateway, API_KEY))
            await _inject(system, broker, sending, faults, random.Random(seed), result)
            await sending
            result.phases["sent"] = time.monotonic() - started
            await asyncio.to_thread(system.wait_ready, timeout=120)
            await _settled(database_urls, system)
            result.phases["settled"] = time.monotonic() - started
        result.requests = workload.requests
        for name, url in database_urls.items():
            result.state[name] = await read_state(url, workload.names())
            published, applied = await _counts(url)
            result.events += published
            result.applied += applied
    finally:
        await asyncio.to_thread(system.stop)
        broker.stop()
    result.seconds = time.monotonic() - started
    return result


@contextlib.contextmanager
def _supervising(supervisor: Supervisor) -> Iterator[None]:
    """Run `supervisor.check()` every 0.2 s in a thread, as `make run` does."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(0.2):
            with contextlib.suppress(Exception):
                supervisor.check()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


async def _inject(
    system: System,
    broker: Broker,
    sending: asyncio.Task[None],
    faults: int,
    rng: random.Random,
    result: Run,
) -> None:
    """SIGKILL a service or the broker at random moments while the workload is sent."""
    for target in _plan(faults, rng):
        await asyncio.wait({sending}, timeout=rng.uniform(1.0, 3.0))
        if sending.done():
            return
        if target == "broker":
            if broker.process is None or broker.process.poll() is not None:
                continue
            broker.process.kill()
        else:
            svc = next(s for s in system.processes if s.info.name == target)
            if svc.process.poll() is not None:
                continue
            with contextlib.suppress(ProcessLookupError):
                os.killpg(svc.process.pid, signal.SIGKILL)
        result.faults[target] = result.faults.get(target, 0) + 1


async def _counts(url: str) -> tuple[int, int]:
    """Events a database published and events it applied."""
    db = Database(url)
    try:
        async with db.sessionmaker() as session:
            published = await session.scalar(select(func.count()).select_from(OutboxMessage))
            applied = await session.scalar(select(func.count()).select_from(ProcessedEvent))
            return int(published or 0), int(applied or 0)
    finally:
        await db.dispose()


def _plan(faults: int, rng: random.Random) -> list[str]:
    """What to kill, in order: every part in turn (shuffled each round), the broker early."""
    plan: list[str] = []
    while len(plan) < faults:
        round_ = rng.sample(TARGETS, len(TARGETS))
        if not plan:
            round_.remove("broker")
            round_.insert(1, "broker")
        plan.extend(round_)
    return plan[:faults]


async def _settled(
    database_urls: dict[str, str], system: System, *, timeout: float = 120.0
) -> None:
    """Wait until every outbox is empty, every consumer has read its partitions to the end and
    no table changes for three seconds."""
    deadline = time.monotonic() + timeout
    previous: dict[str, dict[str, Table]] | None = None
    while time.monotonic() < deadline:
        waiting = 0
        for url in database_urls.values():
            db = Database(url)
            try:
                async with db.sessionmaker() as session:
                    count = await session.scalar(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.published_at.is_(None))
                    )
                    waiting += int(count or 0)
            finally:
                await db.dispose()
        current = {name: await read_state(url, {}) for name, url in database_urls.items()}
        if waiting == 0 and current == previous and await _consumers_caught_up(system):
            return
        previous = current
        await asyncio.sleep(3.0)
    raise AssertionError(f"the system did not settle within {timeout}s")


_METRIC = re.compile(
    r'^(rapport_consumer_connected|rapport_consumer_lag)\{group="([^"]+)"[^}]*\} (\S+)$'
)


async def _consumers_caught_up(system: System) -> bool:
    """Every consumer group of the services runs, has partitions assigned and has read them to
    their end (`GET /metrics`): an event published but not consumed yet (its group rejoining
    after a kill) is not taken for a settled system."""
    async with httpx.AsyncClient(timeout=5) as client:
        for process in system.processes:
            if process.info.name not in CONSUMING:
                continue
            try:
                text = (await client.get(f"{process.url}/metrics")).text
            except httpx.HTTPError:
                return False
            connected: dict[str, float] = {}
            lags: dict[str, list[float]] = {}
            for line in text.splitlines():
                found = _METRIC.match(line)
                if found is None:
                    continue
                name, group, value = found.groups()
                if name == "rapport_consumer_connected":
                    connected[group] = float(value)
                else:
                    lags.setdefault(group, []).append(float(value))
            for group, up in connected.items():
                if up != 1.0 or not lags.get(group) or any(lags[group]):
                    return False
    return True


def figures(backend: str, workload: Workload, clean: Run, faulty: Run) -> Figures:
    """Lost and doubled rows of the run with faults, against the clean run."""
    differences: list[Difference] = []
    for service in sorted(clean.state):
        for diff in compare(clean.state[service], faulty.state.get(service, {})):
            diff.table = f"{service}.{diff.table}"
            differences.append(diff)
    return Figures(
        backend=backend,
        callers=len(workload.callers),
        faults=faulty.faults,
        requests=faulty.requests,
        events_published=faulty.events,
        events_applied=faulty.applied,
        rows_checked=sum(rows(s) for s in clean.state.values()),
        lost=sum(len(d.lost) for d in differences),
        doubled=sum(len(d.doubled) for d in differences),
        seconds=round(faulty.seconds + clean.seconds, 1),
        phases={"faulty": faulty.phases, "clean": clean.phases},
        differences=[
            {"table": d.table, "lost": d.lost[:5], "doubled": d.doubled[:5]} for d in differences
        ],
    )


async def compare_runs(
    backend: str,
    workdir: Path,
    urls: Any,
    *,
    callers: int,
    faults: int,
    seed: int,
) -> Figures:
    """The workload once with `faults` and once without, each on fresh databases from `urls`."""
    workload = Workload.build(callers, seed=seed)
    again = workload.fresh()
    # Side by side: the clean run on its own broker and databases, at the same time.
    faulty, clean = await asyncio.gather(
        run(
            workload, database_urls=urls("faulty"), workdir=workdir / "f", faults=faults, seed=seed
        ),
        run(again, database_urls=urls("clean"), workdir=workdir / "c", faults=0, seed=seed),
    )
    return figures(backend, workload, clean, faulty)


def main() -> None:
    """The long form on SQLite and PostgreSQL; figures to bench/results/chaos.json."""
    import tempfile

    from tests.conftest import Databases
    from tools.stack import Postgres

    results = []
    with tempfile.TemporaryDirectory(prefix="rapport-chaos-") as tmp:
        root = Path(tmp)
        postgres = Postgres(free_port()).start()
        try:
            databases = Databases(root)
            server = postgres.url()
            for backend in ("sqlite", "postgresql"):

                def urls(label: str, backend: str = backend) -> dict[str, str]:
                    if backend == "sqlite":
                        folder = root / backend / label
                        folder.mkdir(parents=True, exist_ok=True)
                        return {s.name: s.sqlite_url(folder) for s in SERVICES}
                    return {s.name: databases.empty(server) for s in SERVICES}

                found = asyncio.run(
                    compare_runs(
                        backend, root / backend, urls, callers=40, faults=12, seed=20261130
                    )
                )
                print(json.dumps(asdict(found), indent=2, default=str))
                results.append(asdict(found))
        finally:
            postgres.stop()
    path = Path(__file__).resolve().parents[2] / "bench" / "results" / "chaos.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    if any(r["lost"] or r["doubled"] for r in results):
        raise SystemExit("events lost or applied twice: see bench/results/chaos.json")


if __name__ == "__main__":
    main()
