"""A contact app that routes fast: short offer timeout, wrap-up and routing interval."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from services.contact.main import create_app
from services.gateway.identity.roles import permissions_of
from tests.builders import contact_settings
from tests.conftest import serve
from tests.identity import identity_headers
from tests.kafka_helpers import eventually

FAST = {
    "routing_offer_timeout_seconds": 3.0,
    "routing_wrap_up_seconds": 0.3,
    "routing_interval_seconds": 0.05,
    "routing_preferred_agent_seconds": 0.0,
    "kafka_session_timeout_ms": 2000,
}


def as_agent(login: str, role: str = "agent") -> dict[str, str]:
    """Headers of a signed-in person with `role` whose agent id is `login`."""
    return identity_headers(
        "contact", agent_id=login, roles=[role], permissions=permissions_of([role])
    )


@pytest.fixture
def start_contact(
    make_database: Callable[[str], str], broker: str, topic_prefix: str
) -> Callable[..., Any]:
    """Start a routing contact app; settings overridable per test."""

    async def start(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = contact_settings(
            overrides.pop("database_url", None) or make_database("contact"),
            broker,
            topic_prefix,
            **{**FAST, **overrides},
        )
        app = create_app(settings)
        async for client in serve(app):
            client.app = app  # type: ignore[attr-defined]
            await eventually(
                lambda: all(r.connected for r in app.state.consumers), what="consumers started"
            )
            yield client

    return start


@pytest.fixture
async def contact(start_contact: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    async for client in start_contact():
        yield client


async def make_queue(client: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/queues", json={"name": name, **fields})
    assert response.status_code == 201, response.text
    queue: dict[str, Any] = response.json()
    return queue


async def make_agent(
    client: httpx.AsyncClient, login: str, *, available: bool = True, **fields: Any
) -> dict[str, Any]:
    body = {"login": login, "name": login.title(), "skills": {"billing": 3}, **fields}
    response = await client.post("/v1/agents", json=body)
    assert response.status_code == 201, response.text
    agent: dict[str, Any] = response.json()
    if available:
        answer = await client.put(
            f"/v1/agents/{agent['id']}/presence",
            json={"state": "available"},
            headers=as_agent(login),
        )
        assert answer.status_code == 200, answer.text
    return agent


async def offers_of(client: httpx.AsyncClient, agent: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(
        f"/v1/agents/{agent['id']}/offers", headers=as_agent(agent["login"])
    )
    assert response.status_code == 200, response.text
    offers: list[dict[str, Any]] = response.json()
    return offers


async def wait_for_offer(client: httpx.AsyncClient, agent: dict[str, Any]) -> dict[str, Any]:
    found: list[dict[str, Any]] = []

    async def offered() -> bool:
        found[:] = await offers_of(client, agent)
        return bool(found)

    await eventually(offered, timeout=15, what=f"an offer to {agent['login']}")
    return found[0]
