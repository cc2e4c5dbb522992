"""Follow-up policies over the real contact service and broker: tiers come from scoring events."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx

from shared.contracts.complaints import ComplaintClosedV1
from shared.contracts.scoring import ChurnRiskRaisedV1, TierChangedV1
from shared.contracts.topics import COMPLAINTS_COMPLAINTS, CONTACT_SURVEYS, SCORING_SCORES
from shared.events import Event, to_envelope
from tests.kafka_helpers import eventually, produce, read_topic

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


async def _send(broker: str, topic: str, events: list[Event]) -> None:
    for event in events:
        envelope = to_envelope(event, source="rapport/test")
        await produce(broker, topic, [envelope.to_bytes()], key=str(event.subject()).encode())


async def _customer(client: httpx.AsyncClient, phone: str) -> str:
    created = await client.post("/v1/customers", json={"phones": [phone]})
    assert created.status_code == 201, created.text
    return str(created.json()["customer_id"])


def _tier(customer_id: str, previous: str | None, tier: str) -> TierChangedV1:
    return TierChangedV1.model_validate(
        {
            "customer_id": customer_id,
            "previous_tier": previous,
            "tier": tier,
            "clv": 100.0,
            "churn_risk": 0.1,
            "changed_at": T0,
        }
    )


async def _answer_csat(client: httpx.AsyncClient, customer_id: str, csat: int) -> None:
    contact = await client.post(
        "/v1/contacts",
        json={
            "channel": "chat",
            "external_id": f"chat-{customer_id}",
            "customer_id": customer_id,
            "occurred_at": T0.isoformat(),
        },
    )
    sent = await client.post(
        "/v1/surveys", json={"contact_id": contact.json()["contact_id"], "via": "sms"}
    )
    answered = await client.post(f"/v1/surveys/{sent.json()['id']}/answer", json={"csat": csat})
    assert answered.status_code == 200, answered.text


async def _follow_ups(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    page = await client.get(f"/v1/customers/{customer_id}/follow-ups")
    assert page.status_code == 200, page.text
    items: list[dict[str, Any]] = page.json()["items"]
    return items


async def test_a_gold_customer_answering_csat_1_gets_a_call_back_basic_customers_none(
    app_client: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    senior = (await app_client.post("/v1/queues", json={"name": "senior"})).json()
    gold = await _customer(app_client, "+14155550161")
    iron = await _customer(app_client, "+14155550162")
    await _send(
        broker,
        topic_prefix + SCORING_SCORES,
        [_tier(gold, "silver", "gold"), _tier(iron, "bronze", "iron")],
    )

    async def tiered() -> bool:
        tiers = [(await app_client.get(f"/v1/customers/{c}")).json()["tier"] for c in (gold, iron)]
        return tiers == ["gold", "iron"]

    await eventually(tiered, timeout=30, what="tiers from scoring applied")
    await _answer_csat(app_client, gold, 1)
    await _answer_csat(app_client, iron, 1)

    [follow_up] = await _follow_ups(app_client, gold)
    assert (follow_up["trigger"], follow_up["level"], follow_up["queue_id"]) == (
        "survey_answered",
        "proactive",
        senior["id"],
    )
    item = (await app_client.get(f"/v1/work-items/{follow_up['work_item_id']}")).json()
    assert (item["channel"], item["state"], item["customer_id"], item["queue_id"]) == (
        "callback",
        "waiting",
        gold,
        senior["id"],
    )
    assert item["subject"] == "Call back: CSAT 1/5 after a contact"
    assert item["priority_reasons"]["tier"] > 0
    assert await _follow_ups(app_client, iron) == []
    published = await read_topic(broker, topic_prefix + CONTACT_SURVEYS, expect=2)
    assert sorted((r.key or b"").decode() for r in published) == sorted([gold, iron])

    await _one_open_task_per_customer(app_client, broker, topic_prefix, gold, item["id"])
    await _policies_are_data(app_client)
    await _each_trigger_follows_up_once(app_client, broker, topic_prefix)


async def _one_open_task_per_customer(
    client: httpx.AsyncClient, broker: str, topic_prefix: str, customer_id: str, item_id: str
) -> None:
    """A churn-risk rise while the call-back still waits is recorded against the same task."""
    raised = ChurnRiskRaisedV1(
        customer_id=uuid.UUID(customer_id),
        previous_risk=0.3,
        churn_risk=0.8,
        threshold=0.7,
        tier="gold",
        raised_at=T0 + dt.timedelta(hours=1),
    )
    await _send(broker, topic_prefix + SCORING_SCORES, [raised])

    async def recorded() -> bool:
        return len(await _follow_ups(client, customer_id)) == 2

    await eventually(recorded, what="the churn-risk rise recorded")
    risen, _ = await _follow_ups(client, customer_id)
    assert (risen["trigger"], risen["work_item_id"]) == ("churn_risk_raised", item_id)
    assert risen["reason"] == "Call back: churn risk 0.80 rose past 0.70"


async def _policies_are_data(app_client: httpx.AsyncClient) -> None:
    """Seeded per tier and kind, named in Chinese and English, changed through the API."""
    policies = (await app_client.get("/v1/follow-up-policies")).json()
    assert len(policies) == 15
    gold = next(p for p in policies if (p["tier"], p["customer_kind"]) == ("gold", "consumer"))
    assert (gold["level"], gold["level_name_zh"], gold["queue"]) == (
        "proactive",
        "能动型",
        "senior",
    )
    changed = await app_client.put(
        "/v1/follow-up-policies/unscored/consumer", json={"level": "responsible"}
    )
    assert (changed.json()["level_name_zh"], changed.json()["level_name_en"]) == (
        "责任型",
        "Responsible",
    )
    bad = await app_client.put("/v1/follow-up-policies/platinum/consumer", json={"level": "basic"})
    assert bad.status_code == 422


async def _each_trigger_follows_up_once(
    app_client: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    """A closure (delivered twice) and the first tier of a customer now kept `responsible`."""
    newcomer = await _customer(app_client, "+14155550163")
    complaint = uuid.uuid4()
    closed = {
        "complaint_id": complaint,
        "customer_id": newcomer,
        "outcome": "accepted",
        "closed_at": T0,
    }
    # The same closure twice (a republished event has a new id): one follow-up.
    twice = [ComplaintClosedV1.model_validate(closed) for _ in range(2)]
    await _send(broker, topic_prefix + COMPLAINTS_COMPLAINTS, list(twice))
    consumers = app_client.app.state.consumers  # type: ignore[attr-defined]
    await eventually(lambda: consumers[1].processed >= 2, what="both closures handled")
    [after_closure] = await _follow_ups(app_client, newcomer)
    assert (after_closure["trigger"], after_closure["level"]) == ("complaint_closed", "responsible")

    # The first tier is the first purchase: a silver customer (responsible) gets a welcome call.
    await _send(broker, topic_prefix + SCORING_SCORES, [_tier(newcomer, None, "silver")])
    await eventually(lambda: consumers[0].processed >= 4, what="the first tier handled")
    welcome, _ = await _follow_ups(app_client, newcomer)
    assert (welcome["trigger"], welcome["reason"]) == (
        "first_purchase",
        "Welcome call after the first purchase (silver customer)",
    )
