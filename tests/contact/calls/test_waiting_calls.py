"""The waiting list: most valuable caller first, then callers at risk, then the longest wait."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from services.contact.models import Customer
from shared.contracts.scoring import TierChangedV1
from shared.contracts.topics import SCORING_SCORES
from shared.events import to_envelope
from tests.builders import call_event
from tests.kafka_helpers import eventually, produce

T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=5)


async def _caller(
    client: httpx.AsyncClient, phone: str, *, tier: str | None = None, risk: float | None = None
) -> str:
    created = await client.post("/v1/customers", json={"phones": [phone]})
    assert created.status_code == 201, created.text
    customer_id = str(created.json()["customer_id"])
    async with client.app.state.db.sessionmaker() as session:  # type: ignore[attr-defined]
        customer = await session.get(Customer, uuid.UUID(customer_id))
        assert customer is not None
        customer.tier, customer.churn_risk = tier, risk
        await session.commit()
    return customer_id


async def _queue(
    client: httpx.AsyncClient, call_id: str, phone: str, seconds: int, status: str = "queued"
) -> dict[str, Any]:
    at = (T0 + dt.timedelta(seconds=seconds)).isoformat()
    body = call_event(call_id=call_id, status=status, timestamp=at, **{"from": phone})
    body["sequence_number"] = {"queued": 1, "ended": 2}.get(status, 0)
    response = await client.post("/v1/contacts/events", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _order(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/calls/waiting", params=params)
    assert response.status_code == 200, response.text
    items = response.json()
    assert [i["position"] for i in items] == list(range(1, len(items) + 1))
    return [i["call"]["provider_call_id"] for i in items]


async def test_value_then_risk_then_wait(app_client: httpx.AsyncClient) -> None:
    await _caller(app_client, "+14155550111")  # not scored yet
    await _caller(app_client, "+14155550112", tier="silver", risk=0.2)
    await _caller(app_client, "+14155550113", tier="silver", risk=0.9)
    await _caller(app_client, "+14155550114", tier="gold", risk=0.1)
    await _queue(app_client, "unscored", "+14155550111", 0)
    await _queue(app_client, "silver-calm", "+14155550112", 10)
    await _queue(app_client, "silver-at-risk", "+14155550113", 20)
    await _queue(app_client, "gold", "+14155550114", 30)

    assert await _order(app_client) == ["gold", "silver-at-risk", "silver-calm", "unscored"]
    first = (await app_client.get("/v1/calls/waiting")).json()[0]
    assert (first["tier"], first["at_risk"]) == ("gold", False)
    assert first["waited_seconds"] >= 0


async def test_a_call_leaves_the_list_when_it_is_no_longer_queued(
    app_client: httpx.AsyncClient,
) -> None:
    await _queue(app_client, "a", "+14155550121", 0)
    await _queue(app_client, "b", "+14155550122", 5)
    await _queue(app_client, "a", "+14155550121", 60, status="ended")

    assert await _order(app_client) == ["b"]
    assert await _order(app_client, limit=1) == ["b"]
    bad = await app_client.get("/v1/calls/waiting", params={"limit": 0})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"


async def test_a_held_call_ranks_by_its_best_candidate(app_client: httpx.AsyncClient) -> None:
    await _caller(app_client, "+14155550131", tier="iron")
    await _caller(app_client, "+14155550131", tier="gold")
    await _caller(app_client, "+14155550132", tier="silver")
    await _queue(app_client, "silver", "+14155550132", 0)
    held = await _queue(app_client, "household", "+14155550131", 30)

    assert held["identification"] == "held"
    assert await _order(app_client) == ["household", "silver"]


async def test_a_tier_change_from_scoring_reorders_callers_already_waiting(
    app_client: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    rising = await _caller(app_client, "+14155550141", tier="bronze")
    await _caller(app_client, "+14155550142", tier="silver")
    await _queue(app_client, "rising", "+14155550141", 0)
    await _queue(app_client, "steady", "+14155550142", 10)
    assert await _order(app_client) == ["steady", "rising"]

    changed = TierChangedV1(
        customer_id=rising,
        previous_tier="bronze",
        tier="gold",
        clv=2500.0,
        churn_risk=0.2,
        changed_at=dt.datetime.now(dt.UTC),
    )
    await produce(
        broker,
        topic_prefix + SCORING_SCORES,
        [to_envelope(changed, source="rapport/scoring").to_bytes()],
        key=rising.encode(),
    )

    async def reordered() -> bool:
        return await _order(app_client) == ["rising", "steady"]

    await eventually(reordered, timeout=30, what="the gold caller moved to the front")
