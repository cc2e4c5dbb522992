"""The live stream through the real gateway: each agent gets their own screen pops only, and a
reconnect with Last-Event-ID loses nothing and repeats nothing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.kafka_helpers import eventually
from tests.processes import gateway_url, running_system
from tools.system import System

pytestmark = pytest.mark.e2e
KEY = "stream-" + uuid.uuid4().hex
ADMIN = {"X-API-Key": KEY}


@pytest.fixture
def system(broker: str, tmp_path: Path, topic_prefix: str) -> Iterator[System]:
    env = {
        "GATEWAY_DEV_ISSUER_ENABLED": "true",
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


@dataclass
class Listener:
    """One SSE connection and what came over it."""

    events: list[dict[str, Any]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)


async def _listen(
    client: httpx.AsyncClient, token: str, into: Listener, last_event_id: str | None = None
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    if last_event_id:
        headers["Last-Event-ID"] = last_event_id
    async with client.stream("GET", "/v1/stream", headers=headers, timeout=None) as answer:
        assert answer.status_code == 200
        event: dict[str, str] = {}
        async for line in answer.aiter_lines():
            if line.startswith(("event:", "id:", "data:")):
                name, _, value = line.partition(":")
                event[name] = value.strip()
            elif not line and "data" in event:
                into.events.append({"type": event["event"], **json.loads(event["data"])})
                into.ids.append(event["id"])
                event = {}


async def _token(client: httpx.AsyncClient, user: str) -> str:
    answer = await client.post("/dev-issuer/token", json={"username": user})
    return str(answer.json()["access_token"])


async def _offers(listener: Listener) -> list[dict[str, Any]]:
    return [e for e in listener.events if e["type"] == "contact.contact_offered"]


async def test_each_agent_gets_only_their_own_screen_pops_and_resumes_without_loss(
    system: System,
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=30) as client:
        await _setup(client)
        ada, ben = await _token(client, "agent"), await _token(client, "agent2")
        first, second = Listener(), Listener()
        tasks = [
            asyncio.create_task(_listen(client, ada, first)),
            asyncio.create_task(_listen(client, ben, second)),
        ]
        await _available(client, ada, "agent-1")
        await _available(client, ben, "agent-2")
        for _ in range(2):
            await _chat(client)
        await eventually(
            lambda: len(first.events) >= 1 and len(second.events) >= 1,
            timeout=30,
            what="a screen pop on each stream",
        )
        tasks[0].cancel()  # the first agent's desktop drops its connection
        with contextlib.suppress(asyncio.CancelledError):
            await tasks[0]
        offer = first.events[-1]
        accepted = await client.post(
            f"/v1/offers/{offer['data']['offer_id']}/accept",
            headers={"Authorization": f"Bearer {ada}"},
        )
        assert accepted.status_code == 200, accepted.text
        await _chat(client)
        await asyncio.sleep(2)  # the offer of that chat is made while the desktop is away
        resumed = Listener()
        tasks.append(asyncio.create_task(_listen(client, ada, resumed, first.ids[-1])))
        await eventually(
            lambda: any(e["type"] == "contact.contact_offered" for e in resumed.events),
            timeout=30,
            what="the missed offer after the reconnect",
        )
        await asyncio.sleep(1)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    for listener, login in ((first, "agent-1"), (second, "agent-2"), (resumed, "agent-1")):
        assert listener.events, login
        assert {e["data"]["agent_login"] for e in listener.events} == {login}
    seen_first = [e["id"] for e in first.events]
    seen_resumed = [e["id"] for e in resumed.events]
    assert not set(seen_first) & set(seen_resumed)  # nothing twice
    # Nothing lost: the acceptance and the new offer, once each (keyed by different contacts,
    # they travel on different partitions, so their relative order is not fixed).
    assert sorted(e["type"] for e in resumed.events) == [
        "contact.contact_offered",
        "contact.offer_accepted",
    ]
    acceptance = next(e for e in resumed.events if e["type"] == "contact.offer_accepted")
    assert acceptance["data"]["offer_id"] == offer["data"]["offer_id"]


async def _setup(client: httpx.AsyncClient) -> None:
    queue = await client.post("/v1/queues", json={"name": "support"}, headers=ADMIN)
    assert queue.status_code == 201, queue.text
    for login in ("agent-1", "agent-2"):
        agent = await client.post(
            "/v1/agents",
            json={"login": login, "name": login, "capacity": {"chat": 3}},
            headers=ADMIN,
        )
        assert agent.status_code == 201, agent.text


async def _available(client: httpx.AsyncClient, token: str, login: str) -> None:
    agents = (await client.get("/v1/agents", headers=ADMIN)).json()
    agent_id = next(a["id"] for a in agents if a["login"] == login)
    answer = await client.put(
        f"/v1/agents/{agent_id}/presence",
        json={"state": "available"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200, answer.text


async def _chat(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/v1/work-items", json={"queue": "support", "channel": "chat"}, headers=ADMIN
    )
    assert answer.status_code == 201, answer.text
