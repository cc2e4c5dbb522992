"""The four services as real processes over the test broker, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import run_in_thread
from tools.services import SERVICES
from tools.stack import free_port
from tools.system import System


@contextmanager
def running_system(
    *,
    broker: str,
    tmp_path: Path,
    topic_prefix: str,
    api_key: str,
    database_urls: dict[str, str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[System]:
    """Start the four services (SQLite files under `tmp_path` unless URLs are given); stop them."""
    running = System(
        bootstrap=broker,
        database_urls=database_urls or {s.name: s.sqlite_url(tmp_path) for s in SERVICES},
        api_key=api_key,
        log_dir=tmp_path / "logs",
        ports={s.name: free_port() for s in SERVICES},
        topic_prefix=topic_prefix,
        extra_env=extra_env or {},
    )
    run_in_thread(running.start)
    try:
        yield running
    finally:
        run_in_thread(running.stop)


def gateway_url(system: System) -> str:
    """Base URL of the running gateway."""
    return next(p.url for p in system.processes if p.info.name == "gateway")
