"""Real parts for the tests: a Tansu broker, a throwaway PostgreSQL, migrated databases.

The broker and PostgreSQL are started here, once per run, unless
`RAPPORT_TEST_KAFKA_BOOTSTRAP` / `RAPPORT_TEST_POSTGRES_URL` point at running ones. When they
cannot be started the tests that need them error out: nothing is skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import signal
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from shared.migrations import upgrade
from tests.identity import GatewayIdentity
from tools.services import BY_NAME
from tools.stack import Broker, Postgres, free_port, port_open, stop_everything_started

# One internal-token secret for the whole run: the gateway signs with it and the services, also
# those started as processes (they inherit the environment), verify with it.
os.environ.setdefault("RAPPORT_INTERNAL_TOKEN_SECRET", f"test-{uuid.uuid4().hex}{uuid.uuid4().hex}")

T = TypeVar("T")
BACKENDS = ("sqlite", "postgresql")


def run_in_thread(fn: Callable[[], T]) -> T:
    """Run blocking code that starts its own event loop, away from the test's loop."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """Bootstrap address of a running Kafka-protocol broker."""
    given = os.environ.get("RAPPORT_TEST_KAFKA_BOOTSTRAP")
    if given:
        host, _, port = given.rpartition(":")
        if not port_open(int(port), host or "127.0.0.1"):
            pytest.fail(f"RAPPORT_TEST_KAFKA_BOOTSTRAP={given} does not answer")
        yield given
        return
    instance = Broker(free_port()).start()
    try:
        yield instance.bootstrap
    finally:
        instance.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """asyncpg URL of the `postgres` database of a running PostgreSQL server."""
    given = os.environ.get("RAPPORT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    instance = Postgres(free_port()).start()
    try:
        yield instance.url()
    finally:
        instance.stop()


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


def _plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class Databases:
    """Hands out freshly migrated databases: copies of a template migrated once per service."""

    _counter = itertools.count()

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._templates: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def _template(self, service: str, backend: str, server: str | None) -> str:
        key = (service, backend)
        with self._lock:
            if key not in self._templates:
                migrations = BY_NAME[service].migrations_dir
                if backend == "sqlite":
                    path = self.workdir / f"template-{service}.db"
                    url = f"sqlite+aiosqlite:///{path}"
                    run_in_thread(lambda: upgrade(migrations, url))
                    self._templates[key] = str(path)
                else:
                    assert server is not None
                    name = f"tmpl_{service}_{uuid.uuid4().hex[:8]}"
                    run_in_thread(lambda: asyncio.run(_create_db(server, name, None)))
                    url = _with_database(server, name)
                    run_in_thread(lambda: upgrade(migrations, url))
                    self._templates[key] = name
            return self._templates[key]

    def empty(self, server: str) -> str:
        """URL of a new, empty PostgreSQL database."""
        name = f"e_{next(self._counter)}_{uuid.uuid4().hex[:6]}"
        run_in_thread(lambda: asyncio.run(_create_db(server, name, None)))
        return _with_database(server, name)

    def new(self, service: str, backend: str, server: str | None = None) -> str:
        """URL of a new database of `service` with every migration applied."""
        template = self._template(service, backend, server)
        n = next(self._counter)
        if backend == "sqlite":
            path = self.workdir / f"{service}-{n}.db"
            shutil.copyfile(template, path)
            return f"sqlite+aiosqlite:///{path}"
        assert server is not None
        name = f"t_{service}_{n}_{uuid.uuid4().hex[:6]}"
        run_in_thread(lambda: asyncio.run(_create_db(server, name, template)))
        return _with_database(server, name)


async def _create_db(server: str, name: str, template: str | None) -> None:
    conn = await asyncpg.connect(_plain(server))
    try:
        suffix = f" TEMPLATE {template}" if template else ""
        await conn.execute(f"CREATE DATABASE {name}{suffix}")
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Databases:
    return Databases(tmp_path_factory.mktemp("databases"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def make_database(
    backend: str, databases: Databases, request: pytest.FixtureRequest
) -> Callable[[str], str]:
    """`make_database("contact")` → URL of a fresh, migrated database on this test's backend."""
    server = request.getfixturevalue("postgres_server") if backend == "postgresql" else None

    def make(service: str) -> str:
        return databases.new(service, backend, server)

    return make


@pytest.fixture
def topic_prefix() -> str:
    """A topic namespace of the test's own, so tests sharing the broker never see each other."""
    return f"t{uuid.uuid4().hex[:10]}."


async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and hand out a client talking to it in-process."""
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        # Services trust only the gateway's word on who calls: sign every request as it would.
        auth = GatewayIdentity(app.state.service_name)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", auth=auth
        ) as client:
            yield client


def pytest_configure(config: pytest.Config) -> None:
    """A terminated test run still stops the broker and PostgreSQL it started."""

    def on_term(signum: int, frame: object) -> None:
        stop_everything_started()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    signal.signal(signal.SIGTERM, on_term)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "broker" in names:
            item.add_marker(pytest.mark.broker)
        if item.get_closest_marker("e2e"):
            # Tests that start every service as a process run one after another on one
            # worker (`make test` runs two): two such stacks at once would only fight for
            # the same two cores.
            item.add_marker(pytest.mark.xdist_group("service-processes"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many tests ran on SQLite, on PostgreSQL, over the broker, as processes."""
    counts: dict[str, list[int]] = {}
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome != "error":
                continue
            params = report.nodeid.rpartition("[")[2].rstrip("]").split("-")
            keywords = getattr(report, "keywords", {})
            tags = [b for b in BACKENDS if b in params]
            if "broker" in keywords:
                tags.append("real broker")
            if "e2e" in keywords:
                tags.append("service processes")
            for tag in tags:
                bucket = counts.setdefault(tag, [0, 0])
                bucket[0 if outcome == "passed" else 1] += 1
    if counts:
        terminalreporter.section("where the tests ran")
        for tag in ("sqlite", "postgresql", "real broker", "service processes"):
            if tag in counts:
                ok, bad = counts[tag]
                terminalreporter.write_line(f"  on {tag:<18} {ok} ok, {bad} not ok")
