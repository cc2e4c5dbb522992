"""Every operation of every service, called through the gateway as every role.

People sign in through the development issuer (agent, supervisor, admin); systems use API keys
issued through the admin API (service, cti). An operation a role may not call is a 403
`permission-denied` from the service; one it may call is never a 403 (the made-up ids and
bodies make most of them 404 or 422) and never a 5xx. The operations come from the gateway's
merged OpenAPI document, so a new route is in this table the day it is written.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.gateway.identity.roles import ROLE_PERMISSIONS
from tests.processes import gateway_url, running_system
from tools.system import System

pytestmark = pytest.mark.e2e
KEY = "matrix-" + uuid.uuid4().hex
PEOPLE = {"agent": "agent", "supervisor": "supervisor", "admin": "admin"}
SYSTEMS = ("service", "cti")
# Every call uses ids that exist nowhere and an empty body, so an allowed call changes nothing.
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def system(broker: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    env = {
        "GATEWAY_DEV_ISSUER_ENABLED": "true",
        "GATEWAY_RATE_LIMIT_PER_IP": "100000/minute",
        "GATEWAY_RATE_LIMIT_PER_PRINCIPAL": "100000/minute",
        "CONTACT_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "COMPLAINTS_KAFKA_SESSION_TIMEOUT_MS": "2000",
    }
    tmp: Path = tmp_path_factory.mktemp("matrix")
    prefix = f"m{uuid.uuid4().hex[:8]}."
    with running_system(
        broker=broker, tmp_path=tmp, topic_prefix=prefix, api_key=KEY, extra_env=env
    ) as running:
        yield running


async def _credentials(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    headers: dict[str, dict[str, str]] = {}
    for role, user in PEOPLE.items():
        token = (await client.post("/dev-issuer/token", json={"username": user})).json()
        headers[role] = {"Authorization": f"Bearer {token['access_token']}"}
    for role in SYSTEMS:
        issued = await client.post(
            "/v1/api-keys",
            json={"name": f"matrix-{role}", "roles": [role]},
            headers={"X-API-Key": KEY},
        )
        assert issued.status_code == 201, issued.text
        headers[role] = {"X-API-Key": issued.json()["key"]}
    return headers


def _operations(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = []
    for path, operations in document["paths"].items():
        if path.startswith("/v1/webhooks/"):
            continue  # signed by the provider, not called with a role: see docs/permissions.md
        for method in METHODS:
            operation = operations.get(method)
            permission = str((operation or {}).get("x-permission", ""))
            if operation and ":" in permission:
                found.append((method.upper(), path, permission))
    return found


async def _call(
    client: httpx.AsyncClient, method: str, url: str, credential: dict[str, str]
) -> httpx.Response:
    """One call; a stream (the live events) is opened, its answer's head read, and closed."""
    async with client.stream(method, url, json={}, headers=credential) as answer:
        if not answer.headers.get("content-type", "").startswith("text/event-stream"):
            await answer.aread()
        return answer


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


async def test_every_role_reaches_exactly_the_operations_it_is_granted(system: System) -> None:
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=30) as client:
        headers = await _credentials(client)
        document = (await client.get("/openapi.json")).json()
        operations = _operations(document)
        gate = asyncio.Semaphore(8)  # the calls are independent: several at a time

        async def call(method: str, path: str, credential: dict[str, str]) -> httpx.Response:
            async with gate:
                return await _call(client, method, _concrete(path), credential)

        cases = [(op, role) for op in operations for role in headers]
        answers = await asyncio.gather(*(call(op[0], op[1], headers[r]) for op, r in cases))

    outcomes: list[tuple[str, str, str, int]] = []
    for ((method, path, permission), role), answer in zip(cases, answers, strict=True):
        outcomes.append((role, method, path, answer.status_code))
        granted = permission in ROLE_PERMISSIONS[role]
        where = f"{role} {method} {path} ({permission})"
        assert answer.status_code < 500, f"{where}: {answer.text}"
        if granted:
            assert answer.status_code != 403, f"{where}: {answer.text}"
        else:
            assert answer.status_code == 403, f"{where}: {answer.status_code}"
            assert answer.json()["code"] == "permission-denied"

    assert len(operations) >= 59
    assert {r for r, *_ in outcomes} == set(PEOPLE) | set(SYSTEMS)
