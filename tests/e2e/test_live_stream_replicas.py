"""The live stream on two gateway replicas: the screen pop arrives with the customer 360
summary, and a desktop reconnecting to the other replica with Last-Event-ID loses nothing and
repeats nothing."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_live_stream import ADMIN, KEY, Listener, _available, _listen, _token
from tests.kafka_helpers import eventually
from tests.processes import gateway_url, running_system
from tools.services import ROOT
from tools.stack import free_port, stop_process, wait_for_port
from tools.system import System

pytestmark = pytest.mark.e2e
OFFERED = "contact.contact_offered"


@pytest.fixture
def system(broker: str, tmp_path: Path, topic_prefix: str) -> Iterator[System]:
    env = {
        "GATEWAY_DEV_ISSUER_ENABLED": "true",
        # Both replicas sign and trust the same development key (as replicas share an issuer).
        "GATEWAY_DEV_ISSUER_KEY_FILE": str(tmp_path / "dev-issuer.pem"),
        "CONTACT_ROUTING_OFFER_TIMEOUT_SECONDS": "30",
        "CONTACT_ROUTING_INTERVAL_SECONDS": "0.05",
        "CONTACT_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "COMPLAINTS_KAFKA_SESSION_TIMEOUT_MS": "2000",
    }
    with running_system(
        broker=broker, tmp_path=tmp_path, topic_prefix=topic_prefix, api_key=KEY, extra_env=env
    ) as running:
        yield running


@contextlib.contextmanager
def second_gateway(system: System, tmp_path: Path) -> Iterator[str]:
    """Another gateway process with the same settings, on a port of its own; its URL."""
    first = next(p for p in system.processes if p.info.name == "gateway")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", first.info.factory, "--port", str(port)],
        cwd=ROOT,
        env=system.env_for(first.info),
        stdout=open(tmp_path / "gateway-2.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=60, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(process)


async def _known_customer_with_a_complaint(client: httpx.AsyncClient) -> tuple[str, str]:
    customer = await client.post(
        "/v1/customers", json={"name": "Pat", "phones": ["+14155550188"]}, headers=ADMIN
    )
    assert customer.status_code == 201, customer.text
    customer_id = str(customer.json()["customer_id"])
    complaint = await client.post(
        "/v1/complaints",
        json={
            "customer_id": customer_id,
            "channel": "chat",
            "category": "billing",
            "description": "Charged twice.",
        },
        headers=ADMIN,
    )
    assert complaint.status_code == 201, complaint.text
    return customer_id, str(complaint.json()["id"])


async def _chat(client: httpx.AsyncClient, customer_id: str) -> None:
    answer = await client.post(
        "/v1/work-items",
        json={"queue": "support", "channel": "chat", "customer_id": customer_id},
        headers=ADMIN,
    )
    assert answer.status_code == 201, answer.text


async def _setup(client: httpx.AsyncClient) -> None:
    assert (await client.post("/v1/queues", json={"name": "support"}, headers=ADMIN)).is_success
    agent = await client.post(
        "/v1/agents",
        json={"login": "agent-1", "name": "Ada", "capacity": {"chat": 3}},
        headers=ADMIN,
    )
    assert agent.status_code == 201, agent.text


async def test_screen_pops_carry_the_360_and_resume_on_the_other_replica(
    system: System, tmp_path: Path
) -> None:
    with second_gateway(system, tmp_path) as other:
        async with (
            httpx.AsyncClient(base_url=gateway_url(system), timeout=30) as one,
            httpx.AsyncClient(base_url=other, timeout=30) as two,
        ):
            await _setup(one)
            customer_id, complaint_id = await _known_customer_with_a_complaint(one)
            ada = await _token(one, "agent")
            first = Listener()
            listening = asyncio.create_task(_listen(one, ada, first))
            await _available(one, ada, "agent-1")
            await _chat(one, customer_id)
            await eventually(lambda: bool(first.events), timeout=30, what="a screen pop")
            listening.cancel()  # the desktop drops its connection to the first replica
            with contextlib.suppress(asyncio.CancelledError):
                await listening
            offer = first.events[-1]
            accepted = await two.post(
                f"/v1/offers/{offer['data']['offer_id']}/accept",
                headers={"Authorization": f"Bearer {ada}"},
            )
            assert accepted.status_code == 200, accepted.text
            await _chat(one, customer_id)
            await asyncio.sleep(2)  # that chat's offer is made while the desktop is away
            resumed = Listener()
            listening = asyncio.create_task(_listen(two, ada, resumed, first.ids[-1]))
            await eventually(
                lambda: sum(e["type"] == OFFERED for e in resumed.events) >= 1,
                timeout=30,
                what="the missed offer, from the other replica",
            )
            await asyncio.sleep(1)
            listening.cancel()
            await asyncio.gather(listening, return_exceptions=True)

    pops = [e["data"]["screen_pop"] for e in first.events + resumed.events if e["type"] == OFFERED]
    assert len(pops) == 2
    for pop in pops:
        summary: dict[str, Any] = pop["customer_360"]
        assert summary["partial"] == [] and summary["missing"] == {}
        assert [c["id"] for c in summary["open_complaints"]] == [complaint_id]
        assert "score" in summary  # null until scoring has seen the customer: not missing
    assert not set(first.ids) & set(resumed.ids)  # nothing twice
    assert sorted(e["type"] for e in resumed.events) == [OFFERED, "contact.offer_accepted"]
    assert uuid.UUID(pops[0]["customer_id"]) == uuid.UUID(customer_id)
