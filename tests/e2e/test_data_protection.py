"""The four services as processes: a customer's export, then their erasure, everywhere.

A customer with a name, number and address found nowhere else gets calls with notes, an
e-mail, a routed task, orders and a complaint whose text, transition reason and escalation
reason name them. Their export holds every service's part. After the erasure, every column of
every table of every service's database and every captured log line is searched for the name,
number and address: none is left. One system, both backends: the two services that keep
personal data run on different ones (the erasure code is the same on both; its queries are
tested on both by each service's own tests), which halves the cost of starting four processes.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import MetaData, select

from shared.db import create_engine
from tests.builders import call_event
from tests.conftest import Databases
from tests.kafka_helpers import eventually
from tests.processes import gateway_url, running_system
from tests.scoring.conftest import tx
from tools.services import SERVICES

pytestmark = pytest.mark.e2e
KEY = "privacy-" + uuid.uuid4().hex
HEADERS = {"X-API-Key": KEY}
NAME = "Zebulon Quaxworth"
PHONE = "+16175550143"
EMAIL = "zeb.quaxworth@example.org"
# What must be found nowhere after the erasure: the name in part too, the number's digits.
NEEDLES = ("zebulon", "quaxworth", "6175550143", "zeb.quaxworth")
BACKEND_OF = {
    "contact": "sqlite",
    "complaints": "postgresql",
    "scoring": "postgresql",
    "gateway": "sqlite",
}
TIMEOUTS = {f"{n}_KAFKA_SESSION_TIMEOUT_MS": "2000" for n in ("CONTACT", "COMPLAINTS", "SCORING")}


async def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json()) if response.content else {}


async def _post_transactions(client: httpx.AsyncClient, orders: list[Any]) -> httpx.Response:
    """POST the orders; again on a 409 `transaction-conflict`, as the answer tells a client.

    Scoring may be applying the new customer's own event at that moment: its rows for the
    customer, written by the consumer, conflict with the request's, and the request is refused
    whole for the client to send again.
    """
    for _ in range(5):
        response = await client.post("/v1/transactions", json={"transactions": orders})
        if response.status_code != 409 or response.json().get("code") != "transaction-conflict":
            return response
        await asyncio.sleep(0.2)
    return response


async def _customer_with_history(client: httpx.AsyncClient) -> tuple[str, str]:
    """The customer, with two calls (notes), an e-mail, a task, orders, a complaint; its ids."""
    customer = await _ok(
        await client.post(
            "/v1/customers", json={"name": NAME, "phones": [PHONE], "emails": [EMAIL]}
        ),
        201,
    )
    customer_id = str(customer["customer_id"])
    for n, when in enumerate(("2026-11-02T09:30:00+00:00", "2026-11-03T10:00:00+00:00")):
        body = call_event(call_id=f"dp-{n}", timestamp=when, **{"from": PHONE})
        call = await _ok(await client.post("/v1/contacts/events", json=body), 201)
        wrap_up = {"notes": f"{NAME} asked us to call {PHONE} or write to {EMAIL}."}
        await _ok(await client.put(f"/v1/calls/{call['call_record_id']}/wrap-up", json=wrap_up))
    email = {
        "channel": "email",
        "external_id": "dp-mail-1",
        "email": EMAIL,
        "subject": f"From {NAME}",
        "body": f"Please ring me on {PHONE}. {NAME}",
        "occurred_at": "2026-11-03T11:00:00+00:00",
    }
    await _ok(await client.post("/v1/contacts", json=email), 201)
    await _ok(await client.post("/v1/queues", json={"name": "dp-callbacks"}), 201)
    task = {"queue": "dp-callbacks", "channel": "callback", "customer_id": customer_id}
    await _ok(await client.post("/v1/work-items", json={**task, "subject": f"Call {NAME}"}), 201)
    orders = [tx(customer_id, "30.00", days_ago=20), tx(customer_id, "45.50", days_ago=3)]
    await _ok(await _post_transactions(client, orders))
    complaint = await _ok(
        await client.post(
            "/v1/complaints",
            json={
                "customer_id": customer_id,
                "channel": "phone",
                "category": "billing",
                "description": f"{NAME} ({PHONE}, {EMAIL}) was charged twice.",
                "severity": "medium",
            },
        ),
        201,
    )
    complaint_id = str(complaint["id"])
    reason = {"to": "acknowledged", "reason": f"Spoke to {NAME} on {PHONE}"}
    await _ok(await client.post(f"/v1/complaints/{complaint_id}/transitions", json=reason))
    escalation = {"reason": f"{NAME} threatens to leave"}
    await _ok(await client.post(f"/v1/complaints/{complaint_id}/escalations", json=escalation))
    return customer_id, complaint_id


async def _export_has_every_part(client: httpx.AsyncClient, customer_id: str) -> None:
    async def scored() -> bool:
        score = await client.get(f"/v1/customers/{customer_id}/score")
        return score.status_code == 200 and score.json()["purchases"]["orders"] == 2

    await eventually(scored, timeout=60, interval=0.5, what="scoring counted the orders")
    export = await _ok(await client.get(f"/v1/customers/{customer_id}/export"))
    parts = export["services"]
    assert sorted(parts) == ["complaints", "contact", "scoring"]
    contact = parts["contact"]["records"]
    assert [c["name"] for c in contact["customers"]] == [NAME]
    assert sorted(i["value"] for i in contact["identities"]) == [PHONE, EMAIL]
    assert len(contact["calls"]) == 2 and all(NAME in c["notes"] for c in contact["calls"])
    assert [c["subject"] for c in contact["contacts"]] == [f"From {NAME}"]
    assert [w["subject"] for w in contact["work_items"]] == [f"Call {NAME}"]
    complaints = parts["complaints"]["records"]
    assert [c["category"] for c in complaints["complaints"]] == ["billing"]
    actions = [e["action"] for e in complaints["audit_entries"]]
    assert actions[:3] == ["filed", "transition", "escalated"]
    scoring = parts["scoring"]["records"]
    assert sorted(t["amount"] for t in scoring["transactions"]) == ["30.00", "45.50"]
    assert [s["customer_id"] for s in scoring["statistics"]] == [customer_id]


async def _erase(client: httpx.AsyncClient, customer_id: str, complaint_id: str) -> None:
    await _ok(await client.delete(f"/v1/customers/{customer_id}"), 204)

    async def erased_everywhere() -> bool:
        complaint = (await client.get(f"/v1/complaints/{complaint_id}")).json()
        score = await client.get(f"/v1/customers/{customer_id}/score")
        return complaint["description"] == "" and score.status_code == 404

    await eventually(erased_everywhere, timeout=60, interval=0.5, what="erasure everywhere")
    gone = await client.get(f"/v1/customers/{customer_id}/export")
    assert gone.status_code == 404 and gone.json()["code"] == "customer-not-found"


async def _found_in_database(url: str) -> list[str]:
    """`table.column` of every value in the database that holds one of the needles."""
    engine = create_engine(url)
    metadata = MetaData()
    found: list[str] = []
    try:
        async with engine.connect() as conn:
            await conn.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                for row in (await conn.execute(select(table))).mappings():
                    found += [
                        f"{table.name}.{column}"
                        for column, value in row.items()
                        if value is not None and any(n in str(value).lower() for n in NEEDLES)
                    ]
    finally:
        await engine.dispose()
    return found


def _found_in_logs(log_dir: Path) -> list[str]:
    return [
        f"{path.name}: {line[:300]}"
        for path in sorted(log_dir.glob("*.log"))
        for line in path.read_text(errors="replace").splitlines()
        if any(n in line.lower() for n in NEEDLES)
    ]


async def test_export_then_erasure_leaves_nothing_personal_anywhere(
    broker: str, tmp_path: Path, topic_prefix: str, databases: Databases, postgres_server: str
) -> None:
    urls = {
        name: databases.new(name, backend, postgres_server) for name, backend in BACKEND_OF.items()
    }
    assert set(urls) == {s.name for s in SERVICES}
    with running_system(
        broker=broker,
        tmp_path=tmp_path,
        topic_prefix=topic_prefix,
        api_key=KEY,
        database_urls=urls,
        extra_env=TIMEOUTS,
    ) as system:
        async with httpx.AsyncClient(
            base_url=gateway_url(system), timeout=30, headers=HEADERS
        ) as client:
            customer_id, complaint_id = await _customer_with_history(client)
            await _export_has_every_part(client, customer_id)
            await _erase(client, customer_id, complaint_id)

    found = {name: await _found_in_database(url) for name, url in urls.items()}
    assert found == {name: [] for name in urls}
    assert _found_in_logs(tmp_path / "logs") == []
