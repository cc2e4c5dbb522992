"""Scores from the broker: `scoring.customer_scored` keeps the churn risk current, both ways."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from shared.contracts.scoring import ChurnRiskRaisedV1, CustomerScoredV1
from shared.contracts.topics import SCORING_SCORES
from shared.events import Event, to_envelope
from tests.kafka_helpers import eventually, produce

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


async def _send(broker: str, topic_prefix: str, customer_id: str, events: list[Event]) -> None:
    await produce(
        broker,
        topic_prefix + SCORING_SCORES,
        [to_envelope(e, source="rapport/scoring").to_bytes() for e in events],
        key=customer_id.encode(),
    )


async def _customer(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_customer_scored_lowers_the_risk_and_older_scores_change_nothing(
    app_client: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    created = await app_client.post(
        "/v1/customers", json={"name": "Bo", "phones": ["+14155550142"]}
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["customer_id"]
    raised = ChurnRiskRaisedV1(
        customer_id=customer_id,
        previous_risk=0.4,
        churn_risk=0.8,
        threshold=0.7,
        tier="gold",
        raised_at=T0,
    )
    fell = CustomerScoredV1(
        customer_id=customer_id,
        tier="silver",
        clv=800.0,
        churn_risk=0.3,
        scored_at=T0 + dt.timedelta(hours=1),
    )
    await _send(broker, topic_prefix, customer_id, [raised, fell])

    async def lowered() -> bool:
        body = await _customer(app_client, customer_id)
        return bool((body["tier"], body["churn_risk"]) == ("silver", 0.3))

    await eventually(lowered, timeout=30, what="the lower churn risk applied")

    stale = CustomerScoredV1(
        customer_id=customer_id,
        tier="iron",
        clv=1.0,
        churn_risk=0.95,
        scored_at=T0 - dt.timedelta(days=1),
    )
    await _send(broker, topic_prefix, customer_id, [stale])
    consumers = app_client.app.state.consumers  # type: ignore[attr-defined]
    await eventually(lambda: consumers[0].processed >= 3, what="all three handled")
    body = await _customer(app_client, customer_id)
    assert (body["tier"], body["churn_risk"]) == ("silver", 0.3)
