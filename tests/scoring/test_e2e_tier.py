"""The four services as processes: a burst of transactions makes a caller gold in contact too."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS
from shared.events import to_envelope
from tests.builders import call_event
from tests.kafka_helpers import eventually, produce
from tests.processes import gateway_url, running_system
from tests.scoring.conftest import NOW, population
from tools.system import System

pytestmark = pytest.mark.e2e
KEY = "e2e-" + uuid.uuid4().hex
HEADERS = {"X-API-Key": KEY}


@pytest.fixture
def system(broker: str, tmp_path: Path, topic_prefix: str) -> Iterator[System]:
    env = {
        "SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "CONTACT_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "SCORING_REFIT_MIN_CUSTOMERS": "10",
    }
    with running_system(
        broker=broker, tmp_path=tmp_path, topic_prefix=topic_prefix, api_key=KEY, extra_env=env
    ) as running:
        yield running


def _order(customer: str, amount: str, days_ago: float) -> bytes:
    event = TransactionRecordedV1(
        transaction_id=uuid.uuid4().hex,
        customer_id=uuid.UUID(customer),
        amount=Decimal(amount),
        occurred_at=NOW - dt.timedelta(days=days_ago),
    )
    return to_envelope(event, source="tests").to_bytes()


async def test_a_burst_of_transactions_makes_the_caller_gold_in_the_contact_service(
    system: System, broker: str, topic_prefix: str
) -> None:
    gateway = gateway_url(system)
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers=HEADERS) as client:
        call = await client.post("/v1/contacts/events", json=call_event(call_id="e2e-gold"))
        assert call.status_code == 201, call.text
        customer = call.json()["customer_id"]

        seeded = await client.post("/v1/transactions", json={"transactions": population(150)})
        assert seeded.status_code == 200, seeded.text
        assert (await client.post("/v1/model/refit")).status_code == 201

        burst = [_order(customer, "10.00", 120)]
        burst += [_order(customer, "500.00", d) for d in (90, 70, 50, 30, 10)]
        await produce(broker, topic_prefix + COMMERCE_TRANSACTIONS, burst, key=customer.encode())

        async def gold_in_contact() -> bool:
            response = await client.get(f"/v1/customers/{customer}")
            return response.status_code == 200 and response.json().get("tier") == "gold"

        await eventually(gold_in_contact, timeout=90, interval=0.5, what="gold in contact")
        record = (await client.get(f"/v1/customers/{customer}")).json()
        score = (await client.get(f"/v1/customers/{customer}/score")).json()
    assert score["value"]["tier"] == "gold"
    assert score["contacts"]["count"] == 1
    # Contact keeps the newest churn risk scoring reported.
    assert 0 <= record["churn_risk"] <= 1
