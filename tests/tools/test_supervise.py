"""`make run` supervision: a service or the broker that dies is restarted, and the user told."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from tools.services import SERVICES, ServiceInfo
from tools.stack import Broker, free_port, port_open
from tools.supervise import Supervisor
from tools.system import ServiceProcess, System


class _Sleepers(System):
    """A system whose services are plain processes that wait (starting uvicorn takes long)."""

    def _spawn(self, info: ServiceInfo) -> ServiceProcess:
        process = subprocess.Popen(
            [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
        )
        return ServiceProcess(info, self.ports[info.name], process, self.log_dir / "x.log")


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[_Sleepers, Broker]]:
    broker = Broker(free_port()).start()
    system = _Sleepers(bootstrap=broker.bootstrap, database_urls={}, api_key="k", log_dir=tmp_path)
    system.processes = [system._spawn(info) for info in SERVICES]
    try:
        yield system, broker
    finally:
        system.stop()
        broker.stop()


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_a_dead_service_and_a_dead_broker_are_restarted(
    parts: tuple[_Sleepers, Broker],
) -> None:
    system, broker = parts
    said: list[str] = []
    supervisor = Supervisor(system, broker, ["contact.calls"], say=said.append)
    assert supervisor.check() == []

    contact = next(s for s in system.processes if s.info.name == "contact")
    contact.process.kill()
    contact.process.wait()
    assert broker.process is not None
    broker.process.kill()
    broker.process.wait()

    assert supervisor.check() == ["broker", "contact"]
    assert said[0].startswith("broker stopped unexpectedly (exit code -9); restarting it")
    assert said[1].startswith("contact stopped unexpectedly (exit code -9); restarting it")
    assert system.dead() == []
    assert port_open(broker.port)
    assert "contact.calls" in asyncio.run(_topics(broker.bootstrap))  # made again

    # Dying again at once: the next restart waits (0.5 s, then 1 s, ...), it is not a loop.
    again = next(s for s in system.processes if s.info.name == "contact")
    again.process.kill()
    again.process.wait()
    assert supervisor.check() == []
    assert supervisor.restarts == {"broker": 1, "contact": 1}
