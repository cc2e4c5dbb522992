"""Over the real broker: transactions in, `scoring.scores` events out, bad records skipped."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from services.scoring.settings import ScoringSettings
from shared.contracts.commerce import TransactionRecordedV1
from shared.contracts.topics import COMMERCE_TRANSACTIONS, SCORING_SCORES
from shared.events import to_envelope
from tests.kafka_helpers import eventually, produce, read_topic
from tests.scoring.conftest import NOW, population, running
from tests.scoring.helpers import order_record


async def test_a_burst_of_transactions_moves_a_customer_into_gold_and_publishes_it(
    settings_for: Callable[..., ScoringSettings], broker: str, topic_prefix: str
) -> None:
    customer = uuid.uuid4()
    async with running(settings_for()) as client:
        seeded = await client.post("/v1/transactions", json={"transactions": population(150)})
        assert seeded.status_code == 200
        assert (await client.post("/v1/model/refit")).status_code == 201

        burst = [order_record(customer, "10.00", 120)]
        burst += [order_record(customer, "500.00", d) for d in (90, 70, 50, 30, 10)]
        burst.append(burst[-1])  # redelivered: applied once
        await produce(
            broker, topic_prefix + COMMERCE_TRANSACTIONS, burst, key=str(customer).encode()
        )

        async def gold() -> bool:
            response = await client.get(f"/v1/customers/{customer}/score")
            if response.status_code != 200:
                return False
            body = response.json()
            return bool(body["purchases"]["orders"] == 6 and body["value"]["tier"] == "gold")

        await eventually(gold, timeout=60, what="the customer scored gold")
        score = (await client.get(f"/v1/customers/{customer}/score")).json()
        assert score["purchases"]["net_spend"] == "2510.00"

        async def published() -> bool:
            return await _tier_changes(broker, topic_prefix, customer, expect=1) != []

        await eventually(published, timeout=60, interval=0.5, what="tier_changed published")
    changes = await _tier_changes(broker, topic_prefix, customer, expect=1)
    assert changes[-1]["tier"] == "gold"
    assert changes[-1]["previous_tier"] in (None, "iron", "bronze", "silver")
    assert changes[-1]["churn_risk"] < 0.7


async def _tier_changes(
    broker: str, prefix: str, customer: uuid.UUID, *, expect: int
) -> list[dict[str, Any]]:
    records = await read_topic(broker, prefix + SCORING_SCORES, expect=expect, timeout=2)
    envelopes = [json.loads(r.value) for r in records if r.value is not None]
    return [
        e["data"]
        for e in envelopes
        if e["type"] == "scoring.tier_changed" and e["subject"] == str(customer)
    ]


async def test_bad_records_on_the_transactions_topic_do_not_stop_the_consumer(
    settings_for: Callable[..., ScoringSettings], broker: str, topic_prefix: str
) -> None:
    customer = uuid.uuid4()
    poison = to_envelope(
        TransactionRecordedV1(
            transaction_id="p", customer_id=customer, amount=Decimal(1), occurred_at=NOW
        ),
        source="tests",
    ).model_copy(update={"data": {"customer_id": "nope"}})
    async with running(settings_for()) as client:
        await produce(
            broker,
            topic_prefix + COMMERCE_TRANSACTIONS,
            [poison.to_bytes(), order_record(customer, "12.50", 3)],
        )

        async def applied() -> bool:
            response: httpx.Response = await client.get(f"/v1/customers/{customer}/score")
            return response.status_code == 200 and response.json()["purchases"]["orders"] == 1

        await eventually(applied, timeout=60, what="the good transaction")
