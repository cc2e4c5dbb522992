"""Interaction history across channels, call detail and wrap-up, scores from the broker."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

from shared.contracts.scoring import ChurnRiskRaisedV1, CustomerStateChangedV1, TierChangedV1
from shared.contracts.topics import SCORING_SCORES
from shared.events import to_envelope
from tests.builders import call_event
from tests.kafka_helpers import eventually, produce

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _contact(channel: str, external_id: str, hours: int, **extra: object) -> dict[str, object]:
    return {
        "channel": channel,
        "external_id": external_id,
        "phone": "+1 415 555 0100",
        "occurred_at": (T0 + dt.timedelta(hours=hours)).isoformat(),
        **extra,
    }


async def test_history_lists_every_channel_newest_first_with_a_cursor(
    app_client: httpx.AsyncClient,
) -> None:
    call = await app_client.post("/v1/contacts/events", json=call_event())
    customer_id = call.json()["customer_id"]
    for index, channel in enumerate(("email", "chat", "web_form", "sms")):
        response = await app_client.post(
            "/v1/contacts", json=_contact(channel, f"{channel}-1", hours=index + 1, agent="a-7")
        )
        assert response.status_code == 201, response.text
        assert response.json()["customer_id"] == customer_id

    first = (
        await app_client.get(f"/v1/customers/{customer_id}/interactions", params={"limit": 3})
    ).json()
    rest = (
        await app_client.get(
            f"/v1/customers/{customer_id}/interactions",
            params={"limit": 3, "cursor": first["next_cursor"]},
        )
    ).json()

    channels = [i["channel"] for i in first["items"] + rest["items"]]
    assert channels == ["sms", "web_form", "chat", "email", "voice"]
    assert rest["next_cursor"] is None
    voice = rest["items"][-1]["call"]
    assert voice["state"] == "ringing"
    assert [e["kind"] for e in voice["events"]] == ["status:ringing"]


async def test_repeated_contact_is_a_duplicate(app_client: httpx.AsyncClient) -> None:
    body = _contact("email", "msg-42", hours=1, subject="Where is my order?")
    first = await app_client.post("/v1/contacts", json=body)
    again = await app_client.post("/v1/contacts", json=body)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True
    assert again.json()["contact_id"] == first.json()["contact_id"]


async def test_contact_without_any_identity_is_a_422_problem(
    app_client: httpx.AsyncClient,
) -> None:
    body = {"channel": "chat", "external_id": "c-1", "occurred_at": T0.isoformat()}
    response = await app_client.post("/v1/contacts", json=body)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "contact-without-customer"


async def test_call_detail_and_wrap_up(app_client: httpx.AsyncClient) -> None:
    await app_client.post("/v1/contacts/events", json=call_event(status="queued"))
    await app_client.post(
        "/v1/contacts/events", json=call_event(sequence_number=1, status="connected")
    )
    customer_id = (
        await app_client.post(
            "/v1/contacts/events", json=call_event(sequence_number=2, status="ended")
        )
    ).json()["customer_id"]
    history = (await app_client.get(f"/v1/customers/{customer_id}/interactions")).json()
    call_id = history["items"][0]["interaction_id"]

    response = await app_client.put(
        f"/v1/calls/{call_id}/wrap-up",
        json={"wrap_up_code": "billing", "disposition": "resolved", "notes": "Refund sent"},
    )
    detail = (await app_client.get(f"/v1/calls/{call_id}")).json()

    assert response.status_code == 200
    assert (detail["state"], detail["outcome"]) == ("ended", "answered")
    assert (detail["wrap_up_code"], detail["disposition"]) == ("billing", "resolved")
    assert len(detail["events"]) == 3
    missing = await app_client.get(f"/v1/calls/{uuid.uuid4()}")
    assert missing.status_code == 404
    assert missing.json()["code"] == "call-not-found"


async def test_tier_churn_risk_and_derived_state_come_from_scoring_events(
    app_client: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    customer_id = (await app_client.post("/v1/contacts/events", json=call_event())).json()[
        "customer_id"
    ]
    events = [
        TierChangedV1(
            customer_id=customer_id,
            previous_tier="silver",
            tier="gold",
            clv=1200.0,
            churn_risk=0.2,
            changed_at=T0,
        ),
        ChurnRiskRaisedV1(
            customer_id=customer_id,
            previous_risk=0.2,
            churn_risk=0.8,
            threshold=0.7,
            raised_at=T0 + dt.timedelta(hours=1),
        ),
        # An older report arriving late changes nothing.
        TierChangedV1(
            customer_id=customer_id,
            previous_tier=None,
            tier="iron",
            clv=1.0,
            churn_risk=0.1,
            changed_at=T0 - dt.timedelta(days=1),
        ),
        CustomerStateChangedV1(
            customer_id=customer_id,
            previous_state="current",
            state="lost",
            transition="churned",
            occurred_at=T0,
            causes=["sla-breach"],
        ),
    ]
    await produce(
        broker,
        topic_prefix + SCORING_SCORES,
        [to_envelope(e, source="rapport/scoring").to_bytes() for e in events],
        key=str(customer_id).encode(),
    )

    async def applied() -> bool:
        body = (await app_client.get(f"/v1/customers/{customer_id}")).json()
        return bool(
            body["tier"] == "gold" and body["churn_risk"] == 0.8 and body["derived_state"] == "lost"
        )

    await eventually(applied, timeout=30, what="scores applied")
    consumers = app_client.app.state.consumers  # type: ignore[attr-defined]
    await eventually(lambda: consumers[0].processed >= 4, what="all four handled")
    body = (await app_client.get(f"/v1/customers/{customer_id}")).json()
    assert (body["tier"], body["churn_risk"]) == ("gold", 0.8)
    # The state scoring derived sits beside the one set by hand.
    assert (body["state"], body["derived_state"]) == ("prospect", "lost")
