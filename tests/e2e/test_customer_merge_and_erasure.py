"""The four services as processes: a merge and an erasure in contact reach the other two."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import call_event
from tests.kafka_helpers import eventually
from tests.processes import gateway_url, running_system
from tests.scoring.conftest import tx
from tools.system import System

pytestmark = pytest.mark.e2e
KEY = "e2e-" + uuid.uuid4().hex
HEADERS = {"X-API-Key": KEY}


@pytest.fixture
def system(broker: str, tmp_path: Path, topic_prefix: str) -> Iterator[System]:
    timeouts = {
        f"{n}_KAFKA_SESSION_TIMEOUT_MS": "2000" for n in ("CONTACT", "COMPLAINTS", "SCORING")
    }
    with running_system(
        broker=broker, tmp_path=tmp_path, topic_prefix=topic_prefix, api_key=KEY, extra_env=timeouts
    ) as running:
        yield running


async def _prospect(client: httpx.AsyncClient, call_id: str, phone: str) -> str:
    response = await client.post(
        "/v1/contacts/events", json=call_event(call_id=call_id, **{"from": phone})
    )
    assert response.status_code == 201, response.text
    return str(response.json()["customer_id"])


async def _score(client: httpx.AsyncClient, customer: str) -> dict[str, Any] | None:
    response = await client.get(f"/v1/customers/{customer}/score")
    return dict(response.json()) if response.status_code == 200 else None


async def test_merge_and_erasure_reach_every_service(system: System) -> None:
    gateway = gateway_url(system)
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=HEADERS) as client:
        ann = await _prospect(client, "merge-a", "+14155550101")
        dup = await _prospect(client, "merge-b", "+14155550102")
        orders = [tx(ann, "40.00", days_ago=20), tx(dup, "60.00", days_ago=10)]
        assert (await client.post("/v1/transactions", json={"transactions": orders})).is_success
        complaint = await client.post(
            "/v1/complaints",
            json={
                "customer_id": dup,
                "channel": "phone",
                "category": "billing",
                "description": "Charged twice; my card ends 4242.",
                "severity": "medium",
            },
        )
        assert complaint.status_code == 201, complaint.text
        complaint_id = complaint.json()["id"]

        async def both_counted() -> bool:
            scores = [await _score(client, c) for c in (ann, dup)]
            return all(s is not None and s["contacts"]["count"] == 1 for s in scores)

        await eventually(both_counted, timeout=60, interval=0.5, what="both customers scored")

        merged = await client.post(f"/v1/customers/{ann}/merge", json={"merge_customer_id": dup})
        assert merged.status_code == 200, merged.text

        async def folded() -> bool:
            score = await _score(client, ann)
            return (
                score is not None
                and score["purchases"]["orders"] == 2
                and await _score(client, dup) is None
            )

        await eventually(folded, timeout=60, interval=0.5, what="scoring folded the merge")
        score = await _score(client, ann)
        assert score is not None
        assert float(score["purchases"]["net_spend"]) == 100.0
        assert score["contacts"]["count"] == 2

        async def moved() -> bool:
            listed = await client.get("/v1/complaints", params={"customer_id": ann})
            return [c["id"] for c in listed.json()["items"]] == [complaint_id]

        await eventually(moved, timeout=60, interval=0.5, what="complaint moved to the survivor")

        assert (await client.delete(f"/v1/customers/{ann}")).status_code == 204

        async def erased() -> bool:
            read = (await client.get(f"/v1/complaints/{complaint_id}")).json()
            return await _score(client, ann) is None and "4242" not in read["description"]

        await eventually(erased, timeout=60, interval=0.5, what="erasure reached every service")
        assert (await client.get(f"/v1/customers/{ann}")).status_code == 404
        # The complaint itself is kept, for the records the business must keep.
        assert (await client.get(f"/v1/complaints/{complaint_id}")).status_code == 200
