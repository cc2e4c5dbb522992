"""The four services as real processes over the real broker: a call event reaches scoring."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_spec_validator import validate

from shared.contracts.topics import CONTACT_CALLS
from tests.builders import call_event
from tests.conftest import Databases
from tests.kafka_helpers import eventually, read_topic
from tests.processes import gateway_url, running_system
from tests.raw_http import raw_request
from tools.services import SERVICES
from tools.system import System

pytestmark = pytest.mark.e2e
KEY = "e2e-" + uuid.uuid4().hex


@pytest.fixture
def system(
    backend: str,
    broker: str,
    databases: Databases,
    tmp_path: Path,
    topic_prefix: str,
    request: pytest.FixtureRequest,
) -> Iterator[System]:
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        # Empty databases: the services apply their migrations at start.
        urls = {s.name: databases.empty(server) for s in SERVICES}
    else:
        urls = {s.name: s.sqlite_url(tmp_path) for s in SERVICES}
    env = {"SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000", "CONTACT_LOG_LEVEL": "INFO"}
    with running_system(
        broker=broker,
        tmp_path=tmp_path,
        topic_prefix=topic_prefix,
        api_key=KEY,
        database_urls=urls,
        extra_env=env,
    ) as running:
        yield running


async def test_a_call_event_reaches_scoring_and_shows_through_the_gateway(
    system: System, broker: str, topic_prefix: str
) -> None:
    headers = {"X-API-Key": KEY}
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=10) as client:
        assert (await client.get("/readyz")).status_code == 200

        refused = await client.post("/v1/contacts/events", json=call_event())
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"

        request_id = "e2e-" + uuid.uuid4().hex
        first = await client.post(
            "/v1/contacts/events",
            json=call_event(call_id="call-1"),
            headers={**headers, "X-Request-ID": request_id},
        )
        assert first.status_code == 201, first.text
        assert first.headers["x-request-id"] == request_id
        customer_id = first.json()["customer_id"]

        async def scored() -> bool:
            response = await client.get(f"/v1/customers/{customer_id}/score", headers=headers)
            return response.status_code == 200 and response.json()["contacts"]["count"] == 1

        await eventually(scored, timeout=60, what="the contact counted by scoring")

        # A repeated event and a later event of the same call: still one contact.
        again = await client.post(
            "/v1/contacts/events", json=call_event(call_id="call-1"), headers=headers
        )
        assert again.status_code == 200 and again.json()["duplicate"] is True
        later = await client.post(
            "/v1/contacts/events",
            json=call_event(call_id="call-1", sequence_number=1, status="connected"),
            headers=headers,
        )
        assert later.status_code == 201

        async def both_events_seen() -> bool:
            response = await client.get(f"/v1/customers/{customer_id}/score", headers=headers)
            return bool(response.json()["contacts"]["call_events"] == 2)

        await eventually(both_events_seen, timeout=60, what="the second call event")
        score = (await client.get(f"/v1/customers/{customer_id}/score", headers=headers)).json()
        assert score["contacts"]["count"] == 1

    # The request id travelled into the event's envelope.
    records = await read_topic(broker, topic_prefix + CONTACT_CALLS, expect=2)
    envelopes = [
        e
        for e in map(json.loads, (r.value for r in records))
        if e["type"] == "contact.call_event_recorded"
    ]
    assert envelopes[0]["correlationid"] == request_id
    assert envelopes[0]["subject"] == customer_id
    assert len({e["id"] for e in envelopes}) == 2


# The gateway's own behaviour (paths, upstream failures, its document) does not depend on the
# services' database: those tests start the system on SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_dot_segment_after_the_webhook_prefix_creates_nothing(system: System) -> None:
    port = int(gateway_url(system).rsplit(":", 1)[1])
    body = json.dumps({"name": "Mallory", "phones": ["+14155550199"]}).encode()

    answers = [
        await raw_request(port, "POST", target, body=body)
        for target in ("/v1/webhooks/../customers", "/v1/webhooks/%2e%2e/customers")
    ]

    assert [a.status for a in answers] == [400, 400]
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=10) as client:
        found = await client.get(
            "/v1/customers/identify", params={"phone": "+14155550199"}, headers={"X-API-Key": KEY}
        )
    assert found.status_code == 200, found.text
    assert found.json()["match"] == "none"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_gateway_answers_502_when_a_service_is_down(system: System) -> None:
    scoring = next(p for p in system.processes if p.info.name == "scoring")
    await asyncio.to_thread(scoring.process.terminate)
    await asyncio.to_thread(scoring.process.wait, 15)
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=10) as client:
        response = await client.get(
            f"/v1/customers/{uuid.uuid4()}/score", headers={"X-API-Key": KEY}
        )
        ready = await client.get("/readyz")
    assert response.status_code == 502
    assert response.json()["code"] == "upstream-unavailable"
    assert ready.status_code == 503
    assert ready.json()["checks"]["upstream:scoring"].startswith("unavailable")


async def test_the_customer_360_is_partial_when_a_service_is_killed(system: System) -> None:
    headers = {"X-API-Key": KEY}
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=10) as client:
        created = await client.post(
            "/v1/customers", json={"name": "Li Na", "phones": ["+14155550123"]}, headers=headers
        )
        customer_id = created.json()["customer_id"]
        whole = await client.get(f"/v1/customers/{customer_id}/360", headers=headers)
        complaints = next(p for p in system.processes if p.info.name == "complaints")
        await asyncio.to_thread(complaints.process.kill)
        await asyncio.to_thread(complaints.process.wait, 15)
        partial = await client.get(f"/v1/customers/{customer_id}/360", headers=headers)

    assert whole.status_code == 200, whole.text
    assert whole.json()["partial"] == []
    assert whole.json()["open_complaints"] == []
    assert partial.status_code == 200
    assert partial.json()["partial"] == ["complaints"]
    assert partial.json()["customer"]["name"] == "Li Na"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_gateway_publishes_one_valid_document_of_the_public_api(system: System) -> None:
    async with httpx.AsyncClient(base_url=gateway_url(system), timeout=10) as client:
        document = (await client.get("/openapi.json")).json()

    validate(document)
    paths = document["paths"]
    assert "/v1/{path}" not in paths  # the real routes, not the proxy's catch-all
    assert paths["/v1/complaints"]["post"]["x-permission"] == "complaints:file"
    assert paths["/v1/complaints"]["post"]["x-service"] == "complaints"
    assert paths["/v1/transactions"]["post"]["x-permission"] == "transactions:record"
    assert paths["/v1/customers/{customer_id}/360"]["get"]["x-permission"] == "customers:read"
    assert "/v1/api-keys" in paths
    assert "x-missing-services" not in document["info"]
